import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { newRecord } from '../../src/state/record-changes.js';
import type { RunRecord } from '../../src/state/schema.js';
import { lostOperation, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// A record re-creating (or replacing) an audience keeps that audience's runs of the last day,
// marked formerAudienceId, for the sandbox's daily run budget. Once the create is recorded,
// those that no longer count (begun more than 24 h and 5 minutes before) go, and the record is
// back in format 1 with the last of them: by whichever path the create is recorded, the
// operation answered or the audience found by name after a lost answer. No first run here
// (onCreate false): a run's own write drops them too, and would hide the create's.

const ORG = DEMO_CLIENT.orgId;
const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const HOUR = 3600;

/** A run of the audience `formerAudienceId` begun `hoursAgo` hours ago in the service's clock (as the emulator's). */
function former(runId: string, hoursAgo: number): RunRecord {
  return {
    runId,
    status: 'SUCCESS',
    createdAt: Math.floor(Date.now() / 1000) - hoursAgo * HOUR,
    dataFilterStartTime: 0,
    reason: 'onCreate',
    formerAudienceId: 'deleted-audience',
  };
}

/** 25 hours old: past the window (24 h, and the 5 minutes the clocks are given). */
const spent = () => former('run-spent', 25);
/** An hour old: it still counts against the sandbox's budget. */
const counting = () => former('run-counting', 1);

/** gold's record waiting for its create, with `runs` of the audience it re-creates. */
async function waiting(env: ExecutorEnv, runs: RunRecord[]): Promise<void> {
  const store = env.store();
  await store.lock();
  try {
    await store.put({ ...newRecord('prod', 'gold'), manifestFile: 'gold.yaml', runs });
  } finally {
    await store.unlock();
  }
}

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

describe('recording the create drops the former runs that no longer count', () => {
  it('its answer lost, the audience found by name and adopted: the spent run goes, the counting one stays', async () => {
    await withExecutor(undefined, async (env) => {
      const kept = counting();
      await waiting(env, [kept, spent()]);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect(outcome.report?.results[0]?.message).toMatch(
        /^adopted \S+, the audience an interrupted create made$/,
      );
      expect(env.emulator.control.counters().faults.responseLost).toBe(1);
      const [made, ...others] = env.emulator.control.listAudiences(ORG, 'prod');
      expect(others).toEqual([]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(made?.audienceId);
      expect(record?.runs).toEqual([kept]);
      expect(record?.schemaVersion).toBe(2);
    });
  });

  it('its operation unknown to the service, the audience found by name and adopted: format 1 again', async () => {
    await withExecutor(undefined, async (env) => {
      await lostOperation(env.store(), new Date(), { manifestFile: 'gold.yaml', runs: [spent()] });
      const made = await env.emulator.createAudience(gold.spec);
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect(outcome.report?.results[0]?.message).toBe(
        `adopted ${made}, the audience an interrupted create made`,
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(made);
      expect(record?.runs).toEqual([]);
      expect(record?.schemaVersion).toBe(1);
    });
  });

  it('its operation answered, as before: the spent run goes, the counting one stays', async () => {
    await withExecutor(undefined, async (env) => {
      const kept = counting();
      await waiting(env, [kept, spent()]);
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect(outcome.report?.results[0]?.message).toMatch(/^created \S+$/);
      expect((await env.store().get('prod', 'gold'))?.runs).toEqual([kept]);
    });
  });
});

describe('recording a run whose answer was lost drops them too', () => {
  it('settled by the next apply: the run adopted, the spent run gone', async () => {
    await withExecutor(undefined, async (env) => {
      expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create applied']);
      const created = (await env.store().get('prod', 'gold'))!;
      const audienceId = created.audienceId!;
      // A killed apply's run request: its intent written (every run listed before it), the
      // request reached the service, its answer never came back.
      const store = env.store();
      await store.lock();
      await store.beginIntent(await store.put({ ...created, runs: [spent()] }), 'run', {
        runReason: 'request:r1',
        dataFilterStartTime: 0,
        knownRunIds: [],
        listedAll: true,
      });
      await store.close();
      const started = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(started.status).toBeLessThan(300);
      const [run, ...more] = env.emulator.control.listRuns(ORG, 'prod', audienceId);
      expect(more).toEqual([]);

      let resumed: string[] = [];
      const outcome = await env.apply([gold], { review: (_, notes) => ((resumed = notes), true) });
      expect(outcome.plan.steps).toEqual([]);
      expect(resumed).toEqual([`prod/gold: adopted run ${run!.runId} started by an interrupted apply`]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.runs.map((r) => [r.runId, r.formerAudienceId])).toEqual([[run!.runId, undefined]]);
      expect(record?.schemaVersion).toBe(1);
    });
  });
});
