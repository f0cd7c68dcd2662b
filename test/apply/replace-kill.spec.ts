import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv } from '../helpers/executor-env.js';
import { applyKilledAt } from '../helpers/kill-at.js';
import {
  createdWithRun,
  expectFirstRunOwed,
  expectNewAudienceWith,
  moved,
  ONE_IN_SANDBOX,
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
