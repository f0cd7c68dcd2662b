import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { git } from '../source/helpers/git-fixture.js';

/**
 * README: `audiencectl validate . --output github` writes "annotations on the pull request's
 * files, in a GitHub workflow". GitHub places an annotation on a file of the pull request only
 * when its `file=` is that file's path in the repository: a workflow step that runs in a
 * subdirectory (`working-directory: audiences`) or names the manifests by an absolute path
 * (`$GITHUB_WORKSPACE/audiences`) must still name `audiences/loyalty/bad.yaml` (REVIEW-docs-41 2:
 * they were named relative to the current directory, `loyalty/bad.yaml`, on no file of the diff).
 */
const ANNOTATION =
  '::error file=audiences/loyalty/bad.yaml,line=16,col=3,title=schema/unknown-key::spec.sourcespec: unknown key "sourcespec"; did you mean "sourceSpec"?';

describe('validate --output github in a git repository', () => {
  it('names each file by its path in the repository, wherever the command runs from', async () => {
    await withTempDir(async (root) => {
      const repo = path.join(root, 'repo');
      await mkdir(path.join(repo, 'audiences', 'loyalty'), { recursive: true });
      await writeFile(
        path.join(repo, 'audiences', 'loyalty', 'bad.yaml'),
        manifestYaml('bad').replace('sourceSpec:', 'sourcespec:'),
      );
      await git(repo, 'init', '-q', '-b', 'main');
      await git(repo, 'add', '-A');
      await git(repo, 'commit', '-q', '-m', 'manifests');

      const fromRoot = await runCli(['validate', 'audiences', '--output', 'github'], { cwd: repo });
      const fromDir = await runCli(['validate', '.', '--output', 'github'], {
        cwd: path.join(repo, 'audiences'),
      });
      const namedFile = await runCli(['validate', 'bad.yaml', '--output', 'github'], {
        cwd: path.join(repo, 'audiences', 'loyalty'),
      });
      const absolute = await runCli(['validate', path.join(repo, 'audiences'), '--output', 'github'], {
        cwd: root,
      });

      for (const result of [fromRoot, fromDir, namedFile, absolute]) {
        expect(result.code).toBe(1);
        expect(result.stderr).toBe('');
        expect(result.stdout.split('\n')).toContain(ANNOTATION);
      }
    });
  });
});
