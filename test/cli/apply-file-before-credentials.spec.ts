import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

/**
 * review cli-41, finding 2: `apply <target>` on a laptop without AEP credentials said only that
 * the credentials were not set, when what it was given could never be applied: a saved plan
 * named `plan.out` (apply takes a file as a saved plan only by its .json suffix), a plan file
 * that does not exist, a directory that does not exist. Setting the credentials only led to the
 * next error. The one-line error names the first problem: the target.
 */
describe('apply of a target that cannot be applied, without AEP credentials', () => {
  const cases: [string, string, (tmp: string) => string][] = [
    [
      'a saved plan not ending in .json',
      'plan.out',
      () =>
        'Error: plan.out is not a directory: give the directory of the manifests, or a plan saved with `plan --output json --out` under a name ending in .json (apply takes a file as a saved plan only by that suffix)\n',
    ],
    [
      'a plan file that does not exist',
      'missing.json',
      () =>
        'Error: missing.json does not exist: save a plan with `audiencectl plan MANIFESTS_DIR --output json --out missing.json --state st` (MANIFESTS_DIR: your manifests directory), or give the directory of the manifests\n',
    ],
    [
      'a manifests directory that does not exist',
      'nodir',
      () => 'Error: nodir does not exist: give the directory of the manifests\n',
    ],
  ];
  it.each(cases)('%s: names the target, not the credentials', async (_, target, expected) => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'plan.out': '{}\n' });
      const cwd = tmp;
      const env = { ...NO_AEP_CREDENTIALS, AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: undefined };
      expect((await runCliInProcess(['init', '--state', 'st', '--state-only'], { cwd, env })).code).toBe(0);
      const result = await runCliInProcess(['apply', target, '--state', 'st', '--auto-approve'], {
        cwd,
        env,
      });
      expect(result.stderr).toBe(expected(path.join(tmp)));
      expect(result.code).toBe(1);
    });
  });
});
