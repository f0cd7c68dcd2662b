import { cp, mkdir, rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

const quiet = (name: string, spec: Record<string, unknown> = {}) =>
  manifestObject(name, { ingestion: { onCreate: false }, spec });

function audienceNames(env: ExecutorEnv): string[] {
  return env.emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((a) => a.audienceName)
    .sort();
}

/** Leaves an interrupted DELETE in the state, as a process killed during the call would. */
async function leaveDeleteIntent(env: ExecutorEnv, key: string): Promise<void> {
  const store = env.store();
  await store.lock();
  try {
    await store.beginIntent((await store.get('prod', key))!, 'delete');
  } finally {
    await store.unlock();
  }
}

/**
 * Leaves a run a killed apply started and never recorded: its intent (`runReason`) in the
 * state, written after `prepare` changed the record, and the run started by the service.
 */
async function leaveStartedRun(
  env: ExecutorEnv,
  key: string,
  runReason: string,
  prepare: (record: AudienceRecord) => AudienceRecord = (record) => record,
): Promise<string> {
  const store = env.store();
  await store.lock();
  try {
    const put = await store.put(prepare((await store.get('prod', key))!));
    await store.beginIntent(put, 'run', { runReason });
  } finally {
    await store.unlock();
  }
  const id = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]!.audienceId;
  const started = await env.emulator.request('POST', `/external-audience/${id}/runs`, {
    body: { dataFilterStartTime: 0 },
  });
  expect(started.status).toBe(200);
  return id;
}

/** A record whose recorded runs are an hour and a half older: its `every: 1h` run is due. */
function runsAnHourAndAHalfOlder(record: AudienceRecord): AudienceRecord {
  return { ...record, runs: record.runs.map((run) => ({ ...run, createdAt: run.createdAt - 5400 })) };
}

describe('apply plan.json: exactly what was reviewed, or nothing', () => {
  it('applies a saved plan that still matches, and planning again is empty', async () => {
    await withExecutor(undefined, async (env) => {
      const manifests = [quiet('gold'), quiet('silver')];
      const saved = await env.savedPlan(manifests);
      expect(saved.origin?.manifestsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const outcome = await env.applySaved(saved, manifests);
      expect(outcome.report?.counts.applied).toBe(2);
      expect(audienceNames(env)).toEqual(['Audience gold', 'Audience silver']);
      expect((await env.plan(manifests)).steps).toEqual([]);
    });
  });

  it('refuses a create body edited in the plan file, calling nothing', async () => {
    await withExecutor(undefined, async (env) => {
      const manifests = [quiet('gold')];
      const saved = await env.savedPlan(manifests);
      saved.steps[0]!.create!.description = 'TAMPERED';
      await expect(env.applySaved(saved, manifests)).rejects.toThrow(
        'the plan no longer matches the manifests and state: step prod/gold:create differs (plan.json was made by another audiencectl version, or edited since: its steps are not those planned again from the same manifests and state); run plan again',
      );
      expect(env.emulator.control.counters().requests).toBe(0);
    });
  });

  it('refuses a PATCH body edited in the plan file; the audience keeps its values', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const edited = [quiet('gold', { description: 'Reviewed' })];
      const saved = await env.savedPlan(edited);
      expect(saved.steps[0]!.patch).toEqual({ description: 'Reviewed' });
      saved.steps[0]!.patch = { description: 'TAMPERED', ttlInDays: 1 };
      env.emulator.control.resetCounters();
      await expect(env.applySaved(saved, edited)).rejects.toThrow(/step prod\/gold:update differs/);
      expect(env.emulator.control.counters().requests).toBe(0);
      const remote = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]!;
      expect(remote.description).toBe('About gold');
      expect(remote.ttlInDays).toBe(30);
    });
  });

  it('refuses once the manifests changed in a way that changes the plan', async () => {
    await withExecutor(undefined, async (env) => {
      const saved = await env.savedPlan([quiet('gold')]);
      await expect(env.applySaved(saved, [quiet('gold'), quiet('silver')])).rejects.toThrow(
        /step prod\/silver:create differs \(the manifests in .* changed since it was made\)/,
      );
      await expect(env.applySaved(saved, [quiet('gold', { description: 'other' })])).rejects.toThrow(
        /step prod\/gold:create differs/,
      );
      expect(audienceNames(env)).toEqual([]);
    });
  });

  it('refuses a plan made for another state (lineage), and one whose state moved (serial)', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const saved = await env.savedPlan([quiet('gold'), quiet('silver')]);

      await env.apply([quiet('gold', { description: 'moved on' })]);
      await expect(env.applySaved(saved, [quiet('gold'), quiet('silver')])).rejects.toThrow(
        /plan\.json is stale: the state changed since it was made \(serial \d+, now \d+\)/,
      );

      // A new store (another lineage) holding the same audiences.
      await rm(env.stateDir, { recursive: true, force: true });
      env.emulator.control.reset();
      await env.apply([quiet('gold')]);
      env.emulator.control.resetCounters();
      await expect(env.applySaved(saved, [quiet('gold'), quiet('silver')])).rejects.toThrow(
        /plan\.json was made for another state \(lineage [\w-]+, this state is [\w-]+\)/,
      );
      expect(env.emulator.control.counters().requests).toBe(0);
      expect(audienceNames(env)).toEqual(['Audience gold']);

      // A new store never written (as `init` leaves it: no lineage yet) is another state too,
      // not the plan's state moved on (review 20b, L2).
      const planned = await env.savedPlan([quiet('gold'), quiet('silver')]);
      await rm(env.stateDir, { recursive: true, force: true });
      await mkdir(env.stateDir);
      await expect(env.applySaved(planned, [quiet('gold'), quiet('silver')])).rejects.toThrow(
        `plan.json was made for another state (lineage ${planned.state.lineage}; this state has none: a store never written); plan again against this state`,
      );
      expect(env.emulator.control.counters().requests).toBe(0);
    });
  });

  it('refuses a plan made before the store was restored from a backup and written back to the same serial', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      const backup = `${env.stateDir}.bak`;
      await cp(env.stateDir, backup, { recursive: true });
      const backedUp = (await env.store().meta())!.serial;
      // gold PATCHed (its intent, then its record: two writes); the plan then deletes silver.
      await env.apply([quiet('gold', { description: 'two' }), quiet('silver')]);
      const saved = await env.savedPlan([quiet('gold', { description: 'two' })]);
      expect(saved.steps.map((s) => s.id)).toEqual(['prod/silver:delete']);
      expect(saved.state.serial - backedUp, 'premise: the PATCH wrote twice').toBe(2);

      // Restored whole, then silver and gold forgotten: the plan's serial again, other records.
      await rm(env.stateDir, { recursive: true });
      await cp(backup, env.stateDir, { recursive: true });
      await rm(backup, { recursive: true });
      const store = env.store();
      await store.lock();
      await store.delete('prod', 'silver');
      await store.delete('prod', 'gold');
      await store.unlock();
      expect((await env.store().meta())?.serial, 'premise: the serial came round again').toBe(
        saved.state.serial,
      );

      env.emulator.control.resetCounters();
      await expect(env.applySaved(saved, [quiet('gold', { description: 'two' })])).rejects.toThrow(
        'the plan no longer matches the state: plan.json was made from other records (the state was edited since); run plan again',
      );
      expect(env.emulator.control.counters().requests).toBe(0);
      expect(audienceNames(env)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('refuses a stale plan before resuming interrupted work: no call reaches AEP', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      // silver's manifest is removed, and an apply was killed while its DELETE was in flight.
      await leaveDeleteIntent(env, 'silver');
      const saved = await env.savedPlan([quiet('gold')]);
      expect(saved.steps.map((s) => s.id)).toEqual(['prod/silver:delete']);
      env.emulator.control.resetCounters();

      await expect(env.applySaved(saved, [quiet('gold', { description: 'edited' })])).rejects.toThrow(
        /the plan no longer matches/,
      );
      expect(env.emulator.control.counters().requests).toBe(0);
      expect(audienceNames(env)).toEqual(['Audience gold', 'Audience silver']);
      expect((await env.store().get('prod', 'silver'))?.intent?.kind).toBe('delete');

      // The same plan, still matching: the interrupted delete is settled by a read, then the plan deletes.
      const outcome = await env.applySaved(saved, [quiet('gold')]);
      expect(outcome.report?.resumed.join('\n')).toMatch(/interrupted delete of [\w-]+ did not happen/);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/silver:delete applied',
      ]);
      expect(audienceNames(env)).toEqual(['Audience gold']);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
    });
  });

  it('a run the plan asks for that an interrupted apply had started: adopted on resume, the plan refused, not started again', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const requested = [manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } })];
      // The request's run was started, then the process died before recording it; the plan
      // is made meanwhile, from the state with the intent.
      const id = await leaveStartedRun(env, 'gold', 'request:r1');
      const saved = await env.savedPlan(requested);
      expect(saved.steps.map((step) => step.id)).toEqual(['prod/gold:run']);

      // Settled, the request is honoured: the plan made before no longer matches.
      await expect(env.applySaved(saved, requested)).rejects.toThrow(
        /settling what an interrupted apply left changed it \(prod\/gold: adopted run [\w-]+ started by an interrupted apply\), so step prod\/gold:run differs/,
      );
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', id)).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.applied?.ingestionRequest).toBe('r1');
      expect((await env.plan(requested)).steps).toEqual([]);
    });
  });

  it('a periodic run an interrupted apply had started: the plan made before it was settled is refused, no second run', async () => {
    await withExecutor(undefined, async (env) => {
      const hourly = [manifestObject('gold', { ingestion: { onCreate: true, every: '1h' } })];
      await env.apply(hourly);
      const id = await leaveStartedRun(env, 'gold', 'every', runsAnHourAndAHalfOlder);
      // Made from the state with the intent: the recorded run is 1.5 h old, so a run is due.
      const saved = await env.savedPlan(hourly);
      expect(saved.steps.map((step) => `${step.id} ${step.run?.reason}`)).toEqual(['prod/gold:run every']);

      const refused = await env.applySaved(saved, hourly).then(
        () => undefined,
        (error: unknown) => error as { code?: string; message?: string },
      );
      expect(refused?.code).toBe('PLAN_SETTLED');
      expect(refused?.message).toMatch(
        /^the plan no longer matches the state: settling what an interrupted apply left changed it \(prod\/gold: adopted run [\w-]+ started by an interrupted apply\), so step prod\/gold:run differs; none of plan\.json's steps was applied; run plan again$/,
      );
      // The onCreate run and the one the killed apply started: no third.
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', id)).toHaveLength(2);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.runs.map((run) => run.reason)).toEqual(['every', 'onCreate']);
      // Planned again from the settled state: the period runs from the adopted run, nothing is due.
      expect((await env.plan(hourly)).steps).toEqual([]);
    });
  });
});
