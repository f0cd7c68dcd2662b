import { describe, expect, it } from 'vitest';
import type { AudienceRecord } from '../../src/state/schema.js';
import { putAsIs, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// A record holding only the runs of deleted audiences, its manifest removed (a runs-only
// remnant, docs/state.md), is dropped by an apply once none of its runs counts against the daily
// run budget: in AEP's clock, the one runs are timed in. The local clock saying so is not enough
// when AEP's is behind: the apply reads AEP's clock first (one call), and keeps the record while
// the run still counts there.

const DAY = 86_400;
const silver = manifestObject('silver', { ingestion: { onCreate: false } });

/** gold's record of one run of a deleted audience, begun `ageSeconds` ago by the local clock. */
function remnant(ageSeconds: number): AudienceRecord {
  return {
    schemaVersion: 2,
    sandbox: 'prod',
    key: 'gold',
    deletionPolicy: 'Delete',
    runs: [
      {
        runId: 'run-of-deleted',
        status: 'SUCCESS',
        createdAt: Math.floor(Date.now() / 1000) - ageSeconds,
        dataFilterStartTime: 0,
        reason: 'onCreate',
        formerAudienceId: 'deleted-audience',
      },
    ],
  };
}

/** One apply of silver alone (`go`: what its review answers); the spent runs-only records it would drop. */
async function applySilver(env: ExecutorEnv, go = true): Promise<string[]> {
  let notes: string[] = [];
  await env.apply([silver], { review: (_, _resumed, toDrop) => ((notes = [...toDrop]), go) });
  return notes;
}

const DROPPED =
  'prod/gold: the record kept only for the runs of deleted or forgotten audiences, none of which counts against the daily run budget any more';

describe('a runs-only record is dropped once its runs are spent in AEP clock', () => {
  it('AEP an hour behind the local clock: a run 24 h 6 min old locally (23 h 6 min in AEP) keeps the record', async () => {
    await withExecutor({ clockOffsetMs: -3_600_000 }, async (env) => {
      const kept = remnant(DAY + 360);
      await putAsIs(env, kept);
      expect(await applySilver(env)).toEqual([]);
      expect(await env.store().get('prod', 'gold')).toEqual(kept);
      // The read that measured AEP's clock, before the create of silver.
      expect(env.emulator.control.counters().byEndpoint.listAudiences.requests).toBeGreaterThan(0);
    });
  });

  it('the same run with the clocks agreeing: dropped', async () => {
    await withExecutor(undefined, async (env) => {
      await putAsIs(env, remnant(DAY + 360));
      expect(await applySilver(env)).toEqual([DROPPED]);
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
    });
  });

  it('the same run, the apply declined at its review: kept, nothing written (review 9, finding 1)', async () => {
    await withExecutor(undefined, async (env) => {
      const kept = remnant(DAY + 360);
      await putAsIs(env, kept);
      const before = await env.store().readAll();
      expect(await applySilver(env, false)).toEqual([DROPPED]);
      expect(await env.store().readAll()).toEqual(before);
      expect(env.emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
    });
  });

  it('a run 23 h old: kept, and no call made for it', async () => {
    await withExecutor(undefined, async (env) => {
      // silver created first: its create reads AEP's clock before its POST (review 12, F5), and
      // the apply that counts has nothing to create.
      await applySilver(env);
      env.emulator.control.resetCounters();
      const kept = remnant(DAY - 3600);
      await putAsIs(env, kept);
      expect(await applySilver(env)).toEqual([]);
      expect(await env.store().get('prod', 'gold')).toEqual(kept);
      expect(env.emulator.control.counters().byEndpoint.listAudiences.requests).toBe(0);
    });
  });
  it('a saved plan made while the run still counted, applied once spent: refused, saying so, and the record stays (review 12, F6)', async () => {
    await withExecutor(undefined, async (env) => {
      const kept = remnant(DAY + 360);
      await putAsIs(env, kept);
      const copper = manifestObject('copper');
      const oneADay = { runBudget: { perSandboxPerDay: 1, perAudiencePerDay: 10 } };
      // Saved an hour ago, when gold's run still counted: copper's first run deferred.
      const saved = await env.savedPlan([copper], { ...oneADay, now: Math.floor(Date.now() / 1000) - 3600 });
      expect(saved.steps.map((step) => [step.id, step.deferred !== undefined])).toEqual([
        ['prod/copper:create', false],
        ['prod/copper:run', true],
      ]);
      const refused = await env.applySaved(saved, [copper]).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toBe(
        `the plan no longer matches the state: it was made while runs-only records still counted against the daily run budget, which no longer do (${DROPPED}), so step prod/copper:run differs; none of plan.json's steps was applied; run plan again`,
      );
      expect(await env.store().get('prod', 'gold')).toEqual(kept);
    });
  });
});
