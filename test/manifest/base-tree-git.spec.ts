import { execFile } from 'node:child_process';
import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../../src/manifest/load.js';
import { readManifestDir } from '../../src/manifest/read-dir.js';
import { readManifestsAtRef } from '../../src/manifest/read-git.js';
import { GIT_ENV, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// `plan --base` reads the base branch from git objects; it must read what the directory
// reader would read in a checkout of that commit: same skipped folders, links resolved
// in the base tree (not in today's working tree).

const execFileAsync = promisify(execFile);

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  return stdout.trim();
}

async function commitAll(dir: string): Promise<void> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'base');
}

/** Path and text (or the rule of why it is unreadable) of each file read. */
const shown = (files: SourceFile[]) =>
  files.map((file) => ('text' in file ? [file.path, file.text] : [file.path, file.unreadable.rule]));

describe('readManifestsAtRef', () => {
  it('reads what the directory reader reads in a checkout of the base: links inside the root followed, skipped folders skipped', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, {
        'aud/silver.yaml': manifestYaml('silver'),
        'aud/.shared/gold.yaml': manifestYaml('gold'),
        'aud/.team/bronze.yaml': manifestYaml('bronze'),
        'aud/node_modules/nm.yaml': manifestYaml('nm'),
        'aud/sub/node_modules/deep.yaml': manifestYaml('deep'),
        'outside.yaml': manifestYaml('outside'),
      });
      await symlink('.shared/gold.yaml', path.join(dir, 'aud/gold.yaml'));
      await symlink('.team', path.join(dir, 'aud/team'));
      await symlink('../outside.yaml', path.join(dir, 'aud/out.yaml'));
      await symlink('.shared/missing.yaml', path.join(dir, 'aud/gone.yaml'));
      await commitAll(dir);
      const root = path.join(dir, 'aud');
      const expected = [
        ['gold.yaml', manifestYaml('gold')],
        ['gone.yaml', 'source/symlink-broken'],
        ['silver.yaml', manifestYaml('silver')],
        ['team/bronze.yaml', manifestYaml('bronze')],
      ];
      expect(shown((await readManifestDir(root)).files)).toEqual(expected);
      const base = await readManifestsAtRef(root, 'HEAD');
      expect(shown(base.files)).toEqual(expected);
      expect(base.diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual(['out.yaml source/symlink-outside']);
    });
  });

  it('resolves chains of links, links through "..", loops and a file taken for a directory as a checkout does', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, {
        'aud/a.yaml': manifestYaml('a'),
        'aud/lib/deep/three.yaml': manifestYaml('three'),
        'aud/lib/deep/four.yaml': manifestYaml('four'),
      });
      const link = (target: string, at: string) => symlink(target, path.join(dir, 'aud', at));
      // A directory reached through a chain of two links: read once through the links (its
      // second link leads where the walk has been), and once where it is.
      await link('l2', 'l1');
      await link('lib/deep', 'l2');
      await link('./lib/../lib/deep/three.yaml', 'dotted.yaml');
      await link('../a.yaml', 'lib/up.yaml');
      await link('loop2.yaml', 'loop1.yaml');
      await link('loop1.yaml', 'loop2.yaml');
      await link('a.yaml/b.yaml', 'inside-a-file.yaml');
      await commitAll(dir);
      const root = path.join(dir, 'aud');
      const checkout = shown((await readManifestDir(root)).files);
      expect(checkout).toEqual([
        ['a.yaml', manifestYaml('a')],
        ['dotted.yaml', manifestYaml('three')],
        ['inside-a-file.yaml', 'source/symlink-broken'],
        ['l1/four.yaml', manifestYaml('four')],
        ['l1/three.yaml', manifestYaml('three')],
        ['lib/deep/four.yaml', manifestYaml('four')],
        ['lib/deep/three.yaml', manifestYaml('three')],
        ['lib/up.yaml', manifestYaml('a')],
        ['loop1.yaml', 'source/symlink-broken'],
        ['loop2.yaml', 'source/symlink-broken'],
      ]);
      expect(shown((await readManifestsAtRef(root, 'HEAD')).files)).toEqual(checkout);
    });
  });

  it('reads a manifests directory given as a link where the link pointed in the base commit', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, {
        'config/v1/silver.yaml': manifestYaml('silver'),
        'config/v1/gold.yaml': manifestYaml('gold'),
        'config/v2/silver.yaml': manifestYaml('silver', { spec: { description: 'v2' } }),
      });
      await symlink('config/v1', path.join(dir, 'audiences'));
      await commitAll(dir);
      // The pull request repoints the link.
      await rm(path.join(dir, 'audiences'));
      await symlink('config/v2', path.join(dir, 'audiences'));
      const base = await readManifestsAtRef(path.join(dir, 'audiences'), 'HEAD');
      expect(shown(base.files)).toEqual([
        ['gold.yaml', manifestYaml('gold')],
        ['silver.yaml', manifestYaml('silver')],
      ]);
    });
  });

  it('refuses a base whose manifests directory holds a submodule, whose files git does not have', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, { 'aud/silver.yaml': manifestYaml('silver') });
      await commitAll(dir);
      const head = await git(dir, 'rev-parse', 'HEAD');
      await git(dir, 'update-index', '--add', '--cacheinfo', `160000,${head},aud/vendored`);
      await git(dir, 'commit', '-q', '-m', 'submodule');
      await expect(readManifestsAtRef(path.join(dir, 'aud'), 'HEAD')).rejects.toThrow(
        '--base: aud/vendored is a submodule in "HEAD": its manifests are not in this repository\'s history, so the base cannot be read as a checkout would read it; plan without --base',
      );
    });
  });

  it('refuses a base whose manifests directory is a link out of the repository', async () => {
    await withTempDir(async (dir) => {
      const repo = path.join(dir, 'repo');
      await writeFiles(dir, { 'outside/gold.yaml': manifestYaml('gold'), 'repo/README': 'r' });
      await git(repo, 'init', '-q', '-b', 'main');
      await symlink('../outside', path.join(repo, 'aud'));
      await commitAll(repo);
      // The pull request makes it a directory of the repository.
      await rm(path.join(repo, 'aud'));
      await writeFiles(repo, { 'aud/gold.yaml': manifestYaml('gold') });
      await expect(readManifestsAtRef(path.join(repo, 'aud'), 'HEAD')).rejects.toThrow(
        `--base: ${path.join(repo, 'aud')} is, in "HEAD", a link out of the repository: its manifests are not in git; plan without --base`,
      );
    });
  });
});
