import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/**
 * Review chart-42 (noticed): a checkout another user owns (a CI container job running as another
 * uid than the checkout's; the image before image/gitconfig) is refused by git ("detected dubious
 * ownership"), and `plan --base` said "--base: aud is not in a git repository", sending users
 * looking for a missing repository. It now names the repository git distrusts and the way to
 * trust it, in one line, exit 1 as before. Needs root (to give the checkout another owner). The built CLI,
 * real git.
 */
describe('plan --base of a checkout git refuses as another user’s', () => {
  it.runIf(isRoot)('names the repository and safe.directory, in one line', async () => {
    await withTempDir(async (root) => {
      const { repo } = await gitRepository(root, { 'aud/gold.yaml': manifestYaml('gold') });
      await run('chown', ['-R', '65534:65534', repo]);
      const planned = await runCli(['plan', 'aud', '--base', 'main', '--state', path.join(root, 'state')], {
        cwd: repo,
        env: NO_AEP_OR_STATE,
      });
      expect(
        planned.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('Error')),
      ).toEqual([
        `Error: --base: git refuses to read the repository of aud (${repo}): another user owns it (git's safe.directory); let git read it (git config --global --add safe.directory ${repo}) or run plan --base as its owner`,
      ]);
      expect(planned.stderr).not.toContain('not in a git repository');
      expect(planned.stderr).not.toMatch(/\n\s+at /);
      expect(planned.code).toBe(1);
    });
  });
});
