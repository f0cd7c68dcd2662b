import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv } from '../helpers/executor-env.js';
import { applyKilledAt } from '../helpers/kill-at.js';
import { manifestObject } from '../helpers/manifests.js';
import {
  createdWithRun,
  expectFirstRunOwed,
  expectNewAudienceWith,
  gold,
  moved,
  ONE_IN_SANDBOX,
  remote,
  statuses,
} from '../helpers/replaced-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

// A replace killed (kill -9 of the built CLI) during its DELETE, or between its DELETE and its
// create, keeps the deleted audience's runs of the last 24 h for the daily run budget once the
// next apply has settled it (test/apply/replace-runs.spec.ts: the replace not killed).

describe('a replace killed (kill -9) keeps the deleted audience run once resumed', () => {
  it.each([
    ['during its DELETE', 'deleteAudience', 'delete'],
    ['between its DELETE and its create, during the POST', 'createAudience', 'create'],
  ] as const)('%s', async (_, endpoint, pending) => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-replace-kill-'));
      try {
        const env = executorEnv(emulator, path.join(tmp, 'state'));
        const { former, oldId } = await createdWithRun(env);
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write([moved]);
        await applyKilledAt(env, dir.dir, endpoint, { k: 1, hold: true });
        const killed = await env.store().get('prod', 'gold');
        expect(killed?.intent?.kind, 'the kill landed in the step').toBe(pending);

        const resumed = await env.apply([moved], { plan: ONE_IN_SANDBOX });
        // A kill during the DELETE is settled before the plan; a create intent is left to the step.
        expect(resumed.report?.resumed).toEqual(
          pending === 'delete'
            ? [
                `prod/gold: finished an interrupted delete of ${oldId} (a replace's: the record is kept, with the runs that count against the daily run budget, and the plan creates the audience again)`,
              ]
            : [],
        );
        expect(statuses(resumed)).toEqual(['prod/gold:create applied', 'prod/gold:run deferred']);
        await expectNewAudienceWith(env, oldId, former);
        await expectFirstRunOwed(env);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
});

// review 12, F1: a removed manifest's DELETE killed (kill -9) at the service (done, its answer held
// back) is settled before the next plan (resumeDelete), and keeps what the DELETE answered keeps
// (removed-waiting-runs.spec.ts): the deleted audience's run, as a runs-only record, counted
// against the sandbox's daily run budget. Whether the removal stays or is reverted, gold's and
// silver's runs use the 2 a day, so the next first run waits.
describe('a removed manifest killed (kill -9) during its DELETE keeps the deleted audience run once resumed', () => {
  const [silver, copper] = [manifestObject('silver'), manifestObject('copper')];
  const TWO_IN_SANDBOX = { runBudget: { perSandboxPerDay: 2, perAudiencePerDay: 10 } };
  it.each([
    ['the removal stays', [silver, copper], 'copper'],
    ['the removal reverted', [gold, silver], 'gold'],
  ] as const)('%s', async (_, next, created) => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-removal-kill-'));
      try {
        const env = executorEnv(emulator, path.join(tmp, 'state'));
        const { former, oldId } = await createdWithRun(env);
        expect(statuses(await env.apply([gold, silver]))).toEqual([
          'prod/silver:create applied',
          'prod/silver:run applied',
        ]);
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write([silver]);
        await applyKilledAt(env, dir.dir, 'deleteAudience', { k: 1, hold: true });
        const killed = await env.store().get('prod', 'gold');
        expect(killed?.intent?.kind, 'the kill landed in the step').toBe('delete');
        expect(killed?.intent?.forReplace).toBeUndefined();
        expect(remote(env).map((a) => a.audienceId)).not.toContain(oldId);

        const resumed = await env.apply(next, { plan: TWO_IN_SANDBOX });
        const until = new Date((former.createdAt + 86_400) * 1000).toISOString();
        expect(resumed.report?.resumed).toEqual([
          `prod/gold: finished an interrupted delete of ${oldId}; the record keeps only its 1 run of deleted audiences, counted against the sandbox's daily run budget until ${until}`,
        ]);
        expect(statuses(resumed)).toEqual([`prod/${created}:create applied`, `prod/${created}:run deferred`]);
        const after = await env.store().get('prod', 'gold');
        // Reverted, gold is a new audience holding the deleted one's run for the budget only.
        expect(after?.runs).toEqual([{ ...former, formerAudienceId: oldId }]);
        expect(after?.audienceId === undefined).toBe(created !== 'gold');
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
});
