import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// AEP_SANDBOX is where the key's sandbox of `state show|forget|settle-run|import` comes from when
// no --sandbox is given: a bad value is refused naming it, as validate, plan and run do
// (`AEP_SANDBOX: invalid sandbox name "Prod": ...`), not as a bare name the user never typed.

describe('state commands with an invalid AEP_SANDBOX', () => {
  it('name AEP_SANDBOX in their one-line refusal', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold') });
      // The store made is the premise: the CLI's entry in this process (cli-in-process.ts).
      expect((await runCliInProcess(['init', '--state', 'state', '--state-only'], { cwd: dir })).code).toBe(
        0,
      );
      const env = { AEP_SANDBOX: 'Prod' };
      // The reference: plan names it.
      const plan = await runCli(['plan', 'aud', '--state', 'state'], { cwd: dir, env });
      expect({ code: plan.code, stderr: plan.stderr }).toEqual({
        code: 1,
        stderr:
          'Error: AEP_SANDBOX: invalid sandbox name "Prod": use lowercase letters, digits and "-" (at most 63), as AEP does\n',
      });
      for (const args of [
        ['state', 'show', 'gold', '--state', 'state'],
        ['state', 'forget', 'gold', '--state', 'state'],
        ['state', 'settle-run', 'gold', '--no-run', '--state', 'state'],
        [
          'state',
          'import',
          'gold',
          'aud',
          '--audience-id',
          '60ccea95-1435-4180-97a5-58af4aa285ab',
          '--state',
          'state',
        ],
      ]) {
        const result = await runCli(args, { cwd: dir, env });
        expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 1, stdout: '' });
        expect(result.stderr, JSON.stringify(args)).toMatch(
          /^Error: AEP_SANDBOX: invalid sandbox name "Prod"[^\n]*\n$/,
        );
      }
    });
  });
});
