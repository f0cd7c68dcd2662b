import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review 33b, L-1. docs/configuration.md: a bad configuration "stops the command with exit
 * code 1 and lists every problem at once, each with its place". `budget.requests` was checked
 * only as "a whole number, at least 1": 100000000000 passed, the apply printed its plan, then
 * every call died inside the request budget (its sliding window holds one slot per request:
 * RangeError "Invalid array length"), reported as `create refused: Invalid array length`
 * although the service refused nothing and no request was sent.
 */
describe('budget.requests beyond what the sliding window can hold', () => {
  it('is refused as configuration, by its place, before any plan or call', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const config = path.join(dir, 'audiencectl.yaml');
        await writeFile(config, 'budget:\n  requests: 100000000000\n');
        const manifests = path.join(dir, 'm');
        const state = path.join(dir, 'state');
        await mkdir(manifests);
        await mkdir(state);
        await writeFile(path.join(manifests, 'a.yaml'), manifestYaml('budget-a'));
        const result = await runCli(
          ['apply', manifests, '--state', state, '--auto-approve', '--config', config],
          { env: emulatorEnv(emulator, { AEP_SANDBOX: 'prod' }), cwd: dir },
        );
        expect(result.stdout + result.stderr).not.toContain('Invalid array length');
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          /^Error: Invalid AEP configuration: .*audiencectl\.yaml:2:13 budget\.requests: /m,
        );
        expect(result.stdout).not.toContain('will perform the following actions');
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
      });
    });
  });

  it('names the bound, for the sandbox entry too, and takes the bound itself', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        path.join(dir, 'bad.yaml'),
        'budget:\n  requests: 10001\nsandboxes:\n  prod:\n    budget: { requests: 4294967295 }\n',
      );
      await writeFile(path.join(dir, 'good.yaml'), 'budget:\n  requests: 10000\n');
      await mkdir(path.join(dir, 'st'));
      const bad = await runCli(['state', 'list', '--state', 'st', '--config', 'bad.yaml'], { cwd: dir });
      expect(bad).toEqual({
        code: 1,
        stdout: '',
        stderr: [
          'Error: Invalid AEP configuration (from bad.yaml and the environment):',
          '  bad.yaml:2:13 budget.requests: must be at most 10000',
          '  bad.yaml:5:25 sandboxes.prod.budget.requests: must be at most 10000',
          '',
        ].join('\n'),
      });
      const good = await runCli(['state', 'list', '--state', 'st', '--config', 'good.yaml'], { cwd: dir });
      expect(good.code, good.stderr).toBe(0);
    });
  });
});
