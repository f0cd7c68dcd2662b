import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/** What only the process shows of --refresh: flags, api.bulkBatchSize from the config, exit codes, one-line errors. */
describe('plan --refresh and apply --refresh (CLI)', () => {
  it('reads in batches of api.bulkBatchSize and plans the drift; refuses bad combinations and a failed read in one line', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        const manifests = Object.fromEntries(
          ['a', 'b', 'c'].map((key) => [
            `${key}.yaml`,
            manifestYaml(key, { ingestion: { onCreate: false } }),
          ]),
        );
        for (const [file, text] of Object.entries(manifests)) await writeFile(path.join(dir, file), text);
        const config = path.join(tmp, 'audiencectl.yaml');
        await writeFile(config, 'api:\n  bulkBatchSize: 2\nretry:\n  baseDelayMs: 5\n  maxDelayMs: 20\n');
        const env = emulatorEnv(emulator, { AUDIENCECTL_CONFIG: config });
        await applyInProcess(emulator, state, manifests);
        const gone = (await readState(state)).audiences.find((r) => r.key === 'b')?.audienceId ?? '';
        emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', gone);
        emulator.control.resetCounters();

        const planned = await runCliInProcess(
          ['plan', dir, '--state', state, '--refresh', '--detailed-exitcode'],
          {
            env,
          },
        );
        expect(planned.code).toBe(2);
        expect(planned.stdout).toContain(
          `+ prod/b create: audience ${gone} was deleted outside audiencectl (refresh)`,
        );
        expect(planned.stdout).toContain(
          '1 deleted, 0 changed, 0 renamed, 0 deactivated outside audiencectl.',
        );
        expect(planned.stdout).toContain('Not compared (the Audiences API does not show them)');
        // Three ids, two a batch (the config file): two reads, the deleted one's own lookup (a
        // key a bulk-get leaves out is no proof) and, after its 404, the list by its audienceId,
        // nothing else but the new process's token.
        const counters = emulator.control.counters();
        expect(counters.byEndpoint.bulkGetAudiences.requests).toBe(2);
        expect(counters.byEndpoint.getAudience.requests).toBe(1);
        expect(counters.byEndpoint.listAudiences.requests).toBe(1);
        expect(counters.requests - counters.byEndpoint.imsToken.requests).toBe(4);

        const withBase = await runCliInProcess(['plan', dir, '--refresh', '--base', 'main'], { env });
        expect(withBase.code).toBe(1);
        expect(withBase.stderr).toBe(
          'Error: --refresh reads the service; a --base plan reads no state and no service\n',
        );
        // A saved plan is applied from the view it was made with: --refresh is refused on one
        // made without it, and accepted, as the same value, on one made with it (review 21, L2).
        const savedPlan = await runCliInProcess(
          ['plan', dir, '--state', state, '--output', 'json', '--out', `${tmp}/plan.json`],
          { env },
        );
        expect(savedPlan.code).toBe(0);
        const savedRefresh = await runCliInProcess(
          ['apply', `${tmp}/plan.json`, '--refresh', '--auto-approve', '--state', state],
          { env },
        );
        expect([savedRefresh.code, savedRefresh.stderr]).toEqual([
          1,
          `Error: --refresh: ${tmp}/plan.json was planned with no --refresh, and a saved plan is applied as it was planned; give --refresh to \`plan\` and apply that plan, or leave it out here\n`,
        ]);
        const refreshedPlan = await runCliInProcess(
          ['plan', dir, '--state', state, '--refresh', '--output', 'json', '--out', `${tmp}/refreshed.json`],
          { env },
        );
        expect(refreshedPlan.code).toBe(0);
        const sameValue = await runCliInProcess(
          ['apply', `${tmp}/refreshed.json`, '--refresh', '--auto-approve', '--state', state],
          { env },
        );
        expect([sameValue.code, sameValue.stderr]).toEqual([0, expect.not.stringContaining('Error')]);

        emulator.control.queueFault({ kind: 'error502', endpoint: 'bulkGetAudiences', count: 50 });
        const failed = await runCliInProcess(['plan', dir, '--state', state, '--refresh'], { env });
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(
          /^Error: cannot refresh the audiences of sandbox "prod": [^\n]*[^.]; nothing was planned from it \(try again, or plan without --refresh\)\n$/,
        );
      });
    });
  });
});
