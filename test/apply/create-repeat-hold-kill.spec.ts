import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv, holdCreates, type ExecutorEnv } from '../helpers/executor-env.js';
import { applyKilledAt } from '../helpers/kill-at.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// The built CLI killed (kill -9) as its create's POST lands, on a service that takes a second
// audience of a name and shows the first only once its operation has succeeded: the next
// apply found nothing under the name and POSTed again, two audiences of one name (review
// crash-44, H-1). It is held now, sending nothing, until the audience is listed (adopted) or
// the wait for the service to show it has passed (create-repeat-hold.spec.ts).

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const NAME = 'Audience gold';

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

describe('an apply killed as its create POST lands (duplicateNames: accepted)', () => {
  it('the next apply holds the create while the audience is not listed, then adopts it: one audience', async () => {
    await withEmulator(
      { operationDelayMs: 10, runStageDelayMs: 10, compat: { duplicateNames: 'accepted' } },
      async (emulator) => {
        const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-hold-kill-'));
        try {
          const env = executorEnv(emulator, path.join(tmp, 'state'));
          const dir = new ManifestDir(path.join(tmp, 'm'));
          await dir.write([gold]);
          const held = holdCreates(env);
          await applyKilledAt(env, dir.dir, 'createAudience', { k: 1, hold: true });
          const killed = await env.store().get('prod', 'gold');
          expect(killed?.intent?.kind, 'the kill landed in the create step').toBe('create');
          const [operation, ...others] = env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
          // The POST landed: the service took the create, its audience not listed yet.
          expect({ others, status: operation?.status }).toEqual({
            others: [],
            status: 'PROCESSING',
          });

          const resumed = await env.apply([gold]);
          expect(env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
          expect(statuses(resumed)).toEqual(['prod/gold:create blocked']);
          expect(resumed.report?.results[0]?.message).toContain('may still land');

          held.release();
          const adopted = await env.apply([gold]);
          expect(statuses(adopted)).toEqual(['prod/gold:create applied']);
          const audiences = env.emulator.control
            .listAudiences(DEMO_CLIENT.orgId, 'prod')
            .filter((a) => a.audienceName === NAME);
          const creates = env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod');
          expect({ creates: creates.length, audiences: audiences.length }).toEqual({
            creates: 1,
            audiences: 1,
          });
          expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(audiences[0]?.audienceId);
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
      },
    );
  });
});
