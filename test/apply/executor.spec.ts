import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/apply/types.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { IntentKind } from '../../src/state/store.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

const quiet = (name: string, extra: Parameters<typeof manifestObject>[1] = {}) =>
  manifestObject(name, { ingestion: { onCreate: false }, ...extra });

function byKey(results: readonly StepResult[] | undefined): Record<string, string> {
  return Object.fromEntries((results ?? []).map((r) => [r.step.id, r.status]));
}

function remote(env: ExecutorEnv) {
  return env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
}

function idOf(env: ExecutorEnv, name: string): string {
  const audience = remote(env).find((a) => a.audienceName === `Audience ${name}`);
  if (!audience) throw new Error(`no audience ${name}`);
  return audience.audienceId;
}

/** Leaves an intent in the state, as a process killed during the call would. */
async function leaveIntent(env: ExecutorEnv, key: string, kind: IntentKind, runReason?: string) {
  const store = env.store();
  await store.lock();
  try {
    await store.beginIntent((await store.get('prod', key))!, kind, runReason ? { runReason } : {});
  } finally {
    await store.unlock();
  }
}

describe('the executor against the emulator', () => {
  it('one audience failing does not stop the others; its run is skipped', async () => {
    // The service's newer rules refuse a space in sourceSpec.path, which the manifest only warns about.
    await withExecutor({ newerRules: true }, async (env) => {
      const refused = manifestObject('a1', {
        spec: {
          sourceSpec: {
            path: 'exports/with space.csv',
            type: 'file',
            sourceType: 'Cloud Storage',
            cloudType: 'DLZ',
          },
        },
      });
      const outcome = await env.apply([manifestObject('a0'), refused, manifestObject('a2')]);
      expect(byKey(outcome.report?.results)).toEqual({
        'prod/a0:create': 'applied',
        'prod/a0:run': 'applied',
        'prod/a1:create': 'failed',
        'prod/a1:run': 'skipped',
        'prod/a2:create': 'applied',
        'prod/a2:run': 'applied',
      });
      const skipped = outcome.report!.results.find((r) => r.status === 'skipped')!;
      expect(skipped.message).toBe('prod/a1:create did not succeed');
      expect(
        remote(env)
          .map((a) => a.audienceName)
          .sort(),
      ).toEqual(['Audience a0', 'Audience a2']);
      expect(await env.store().get('prod', 'a1')).toBeUndefined();
    });
  });

  it('a create operation that ends FAILED: its reason reported, nothing recorded, created next time', async () => {
    await withExecutor(undefined, async (env) => {
      env.emulator.control.queueFault({ kind: 'operationFailure' });
      const outcome = await env.apply([quiet('gold')]);
      const create = outcome.report!.results[0]!;
      expect(create.status).toBe('failed');
      expect(create.message).toContain('The audience could not be created (injected operationFailure fault)');
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
      expect(byKey((await env.apply([quiet('gold')])).report?.results)).toEqual({
        'prod/gold:create': 'applied',
      });
    });
  });

  it('a run that ends FAILED: its reason stored and reported', async () => {
    await withExecutor(undefined, async (env) => {
      env.emulator.control.queueFault({ kind: 'runFailure' });
      const outcome = await env.apply([manifestObject('gold')]);
      const run = outcome.report!.results.find((r) => r.step.kind === 'run')!;
      expect(run.status).toBe('failed');
      expect(run.message).toContain('Profile ingestion failed (injected runFailure fault)');
      const record = await env.store().get('prod', 'gold');
      expect(record?.runs[0]).toMatchObject({
        status: 'FAILED',
        failureReason: 'Profile ingestion failed (injected runFailure fault).',
      });
    });
  });

  it.each([
    ['the default start: where that one ended, once it succeeded', {}, 1_700_000_000],
    ['a start the manifest names: that start', { dataFilterStartTime: 1_650_000_000 }, 1_650_000_000],
  ])('a run planned behind one in progress starts at %s', async (_label, ingestion, expected) => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const id = idOf(env, 'gold');
      // A run up to 1 700 000 000, recorded in progress: the apply that started it stopped following it.
      // Its stages take an hour: the next apply reads it again before planning, and must see it running.
      env.emulator.control.setDelays({ runStageDelayMs: 3_600_000 });
      const busy = await env.client.startRun('prod', id, {
        dataFilterStartTime: 1_600_000_000,
        dataFilterEndTime: 1_700_000_000,
      });
      env.emulator.control.setDelays({ runStageDelayMs: 10 });
      const store = env.store();
      await store.lock();
      try {
        const record = (await store.get('prod', 'gold'))!;
        const createdAt = Math.floor(Date.now() / 1000);
        await store.put({
          ...record,
          runs: [{ runId: busy.runId, status: 'PROCESSING', createdAt, dataFilterStartTime: 1_600_000_000 }],
        });
      } finally {
        await store.unlock();
      }

      const requested = [quiet('gold', { ingestion: { onCreate: false, request: 'r2', ...ingestion } })];
      // Planned behind it; then its two hours pass in the service, and the step finds it ended.
      const outcome = await env.apply(requested, {
        review: () => {
          env.emulator.control.updateSettings({ clockOffsetMs: 2 * 3_600_000 + 60_000 });
          return true;
        },
      });
      expect(outcome.plan.steps[0]!.run?.waitsForRunId).toBe(busy.runId);
      expect(byKey(outcome.report?.results)).toEqual({ 'prod/gold:run': 'applied' });
      const runs = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', id);
      expect(runs.map((run) => [run.status, run.dataFilterStartTime]).sort()).toEqual([
        ['SUCCESS', 1_600_000_000],
        ['SUCCESS', expected],
      ]);
    });
  });

  it('PATCH and DELETE of an audience deleted outside audiencectl: 404 handled', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      for (const name of ['gold', 'silver']) {
        const gone = await env.emulator.request('DELETE', `/external-audience/${idOf(env, name)}`);
        expect(gone.status).toBe(204);
      }
      const outcome = await env.apply([quiet('gold', { spec: { description: 'edited' } })]);
      const results = outcome.report!.results;
      expect(byKey(results)).toEqual({ 'prod/gold:update': 'failed', 'prod/silver:delete': 'applied' });
      expect(results[0]!.message).toMatch(
        /may no longer exist remotely: run this apply again with --refresh, which reads the audience back/,
      );
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();
    });
  });

  // The retry of a PATCH answered 500 meets the service's own 404: the 500's outcome stays
  // unknown (the 404 takes nothing back), and the 404 is said with the hint a first 404 gets,
  // which it lacked (the error's status and code are the 500's). Not recorded as gone.
  it("a PATCH answered 500, its retry the service's 404: outcome unknown, the 404 said, and the hint", async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const goldId = idOf(env, 'gold');
      env.emulator.control.queueFault({ kind: 'error500', endpoint: 'patchAudience' });
      env.emulator.control.queueFault({ kind: 'clientError', status: 404, endpoint: 'patchAudience' });
      const edited = quiet('gold', { spec: { description: 'edited' } });
      const outcome = await env.apply([edited]);
      expect(env.emulator.control.counters().byEndpoint.patchAudience?.requests).toBe(2);
      const [patched] = outcome.report!.results;
      expect(patched?.status).toBe('failed');
      expect(patched?.message).toMatch(
        new RegExp(
          `^PATCH failed: AEP failed to process the request; retry later \\(patchAudience in sandbox "prod"; HTTP 500, 100970-500[^)]*\\)\\..* The change may or may not have been made\\. It was retried, and the last attempt did not settle it: AEP has no such audience, operation or run in this sandbox \\(patchAudience in sandbox "prod"; HTTP 404, 100940-404[^)]*\\)\\. AEP said: [^;]*[^.]; audience ${goldId} may no longer exist remotely: run this apply again with --refresh, which reads the audience back and creates it again only if it is gone \\(its record, runs and name kept\\)$`,
        ),
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(goldId);
      expect(record?.intent).toBeUndefined();

      // As the hint says: the audience is there, so the refreshed apply PATCHes it.
      const refreshed = await env.apply([edited], { refresh: true });
      expect(refreshed.report?.results.map((r) => [r.step.id, r.status, r.message])).toEqual([
        ['prod/gold:update', 'applied', 'patched description'],
      ]);
      expect(remote(env).map((a) => [a.audienceId, a.description])).toEqual([[goldId, 'edited']]);
    });
  });

  it('deletions come after creates and updates; a replace deletes before it creates', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('old'), quiet('kept'), quiet('renamed')]);
      const order: string[] = [];
      const stop = env.emulator.control.observeRequests((r) => {
        if (r.method !== 'GET') order.push(r.endpoint);
      });
      const outcome = await env.apply(
        [
          quiet('kept', { spec: { description: 'edited' } }),
          quiet('renamed', { spec: { name: 'Renamed' } }),
          quiet('new'),
        ],
        { plan: { allowReplace: true } },
      );
      stop();
      expect(Object.values(byKey(outcome.report?.results))).toEqual([
        'applied',
        'applied',
        'applied',
        'applied',
      ]);
      expect(order.lastIndexOf('deleteAudience')).toBe(order.length - 1);
      // The replace's DELETE precedes its POST; the only other DELETE (old) comes last of all.
      const deletes = order.flatMap((endpoint, i) => (endpoint === 'deleteAudience' ? [i] : []));
      expect(deletes).toHaveLength(2);
      expect(order.slice(0, deletes[0])).not.toContain('deleteAudience');
      expect(order.indexOf('patchAudience')).toBeLessThan(deletes[1]!);
      expect(order.lastIndexOf('createAudience')).toBeLessThan(deletes[1]!);
      expect(
        remote(env)
          .map((a) => a.audienceName)
          .sort(),
      ).toEqual(['Audience kept', 'Audience new', 'Renamed']);
    });
  });

  it('a replace whose DELETE fails does not create', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      env.emulator.control.queueFault({ kind: 'error500', endpoint: 'deleteAudience', count: 10 });
      const outcome = await env.apply([quiet('gold', { spec: { name: 'Gold renamed' } })], {
        plan: { allowReplace: true },
      });
      expect(byKey(outcome.report?.results)).toEqual({ 'prod/gold:replace': 'failed' });
      expect(remote(env).map((a) => a.audienceName)).toEqual(['Audience gold']);
      expect(env.emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);
    });
  });

  it('resumes an interrupted DELETE: settled by a read, then deleted by the plan, the record removed', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      const silver = idOf(env, 'silver');
      await leaveIntent(env, 'silver', 'delete');
      const outcome = await env.apply([quiet('gold')]);
      expect(outcome.report?.resumed).toEqual([
        `prod/silver: interrupted delete of ${silver} did not happen (the audience is still there); left for the plan, which reads the audience first for as long as that DELETE may still land`,
      ]);
      expect(byKey(outcome.report?.results)).toEqual({ 'prod/silver:delete': 'applied' });
      expect(remote(env).map((a) => a.audienceName)).toEqual(['Audience gold']);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
    });
  });

  it('resumes an interrupted DELETE the service had done: its lookup and its runs list answer 404, the record is removed, no DELETE sent', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      const silver = idOf(env, 'silver');
      await leaveIntent(env, 'silver', 'delete');
      // The DELETE left and was done; its answer was lost with the process.
      env.emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', silver);
      env.emulator.control.resetCounters();
      const outcome = await env.apply([quiet('gold')]);
      expect(outcome.report).toBeUndefined();
      expect(outcome.plan.steps).toEqual([]);
      const log = env.emulator.control.requestLog();
      expect(log.filter((e) => e.endpoint === 'deleteAudience')).toEqual([]);
      expect(log.filter((e) => e.endpoint === 'listRuns').map((e) => e.status)).toEqual([404]);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
    });
  });

  // One 404 of the lookup proves nothing (a replica that has not seen the audience, a service
  // that shows it under an id of its own): the resume sends no DELETE, and the list by its
  // audienceId, asked after that 404, shows it.
  it('resumes an interrupted DELETE whose lookup alone answers 404: no DELETE sent by the resume; the list by its audienceId shows the audience, so it is left for the plan', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      const silver = idOf(env, 'silver');
      await leaveIntent(env, 'silver', 'delete');
      env.emulator.control.queueFault({ kind: 'clientError', endpoint: 'getAudience', status: 404 });
      env.emulator.control.resetCounters();
      let resumed: string[] = [];
      await env.apply([quiet('gold')], {
        review: (_, notes) => {
          resumed = notes;
          return false;
        },
      });
      expect(resumed).toEqual([
        `prod/silver: interrupted delete of ${silver} did not happen (the audience is still there); left for the plan, which reads the audience first for as long as that DELETE may still land`,
      ]);
      expect(env.emulator.control.counters().byEndpoint.deleteAudience?.requests ?? 0).toBe(0);
      const record = await env.store().get('prod', 'silver');
      expect(record?.audienceId).toBe(silver);
      expect(record?.intent).toBeUndefined();
      expect(
        remote(env)
          .map((a) => a.audienceName)
          .sort(),
      ).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('an interrupted DELETE that never reached the service, its manifest restored since: nothing deleted', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold'), quiet('silver')]);
      const silver = idOf(env, 'silver');
      // The apply that removed silver died after recording its intent, before the DELETE left;
      // then the removal was reverted in git.
      await leaveIntent(env, 'silver', 'delete');
      env.emulator.control.resetCounters();
      const outcome = await env.apply([quiet('gold'), quiet('silver')]);
      expect(env.emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
      expect(
        remote(env)
          .map((a) => a.audienceName)
          .sort(),
      ).toEqual(['Audience gold', 'Audience silver']);
      expect(outcome.plan.steps).toEqual([]);
      const record = await env.store().get('prod', 'silver');
      expect(record?.audienceId).toBe(silver);
      expect(record?.intent).toBeUndefined();
    });
  });

  // Review 23, M2: a removal's DELETE answered 500 on every attempt (nothing deleted) keeps its
  // intent; the removal is reverted; the next apply's first lookup gets one 404 of the service's
  // own (a replica that has not seen the audience). Settling the intent sends no DELETE: only a
  // removed manifest deletes, under the delete guards.
  it.each([
    { name: 'default guards', plan: {} },
    { name: '--max-deletes 0', plan: { maxDeletes: 0 } },
  ])(
    'a removal whose DELETE got 500s, reverted, then one lookup answering 404: nothing deleted, nothing created ($name)',
    async ({ plan }) => {
      await withExecutor(undefined, async (env) => {
        await env.apply([quiet('gold'), quiet('silver')]);
        const silver = idOf(env, 'silver');
        env.emulator.control.queueFault({ kind: 'error500', endpoint: 'deleteAudience', count: 5 });
        const removed = await env.apply([quiet('gold')]);
        expect(byKey(removed.report?.results)).toEqual({ 'prod/silver:delete': 'failed' });
        expect((await env.store().get('prod', 'silver'))?.intent?.kind).toBe('delete');
        env.emulator.control.resetCounters();
        env.emulator.control.queueFault({ kind: 'clientError', endpoint: 'getAudience', status: 404 });
        const reverted = await env.apply([quiet('gold'), quiet('silver')], { plan });
        const byEndpoint = env.emulator.control.counters().byEndpoint;
        expect(byEndpoint.deleteAudience?.requests ?? 0).toBe(0);
        expect(byEndpoint.createAudience?.requests ?? 0).toBe(0);
        expect(reverted.report?.resumed.join('\n') ?? '').not.toMatch(/finished an interrupted delete/);
        expect(reverted.plan.steps).toEqual([]);
        expect(remote(env).find((a) => a.audienceName === 'Audience silver')?.audienceId).toBe(silver);
        const record = await env.store().get('prod', 'silver');
        expect(record?.audienceId).toBe(silver);
        expect(record?.intent).toBeUndefined();
      });
    },
  );

  it('a replace whose DELETE got 500s, reverted, then one lookup answering 404: nothing deleted, nothing created', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const gold = idOf(env, 'gold');
      env.emulator.control.queueFault({ kind: 'error500', endpoint: 'deleteAudience', count: 5 });
      const replaced = await env.apply([quiet('gold', { spec: { name: 'Gold renamed' } })], {
        plan: { allowReplace: true },
      });
      expect(byKey(replaced.report?.results)).toEqual({ 'prod/gold:replace': 'failed' });
      expect((await env.store().get('prod', 'gold'))?.intent).toMatchObject({
        kind: 'delete',
        forReplace: true,
      });
      env.emulator.control.resetCounters();
      env.emulator.control.queueFault({ kind: 'clientError', endpoint: 'getAudience', status: 404 });
      const reverted = await env.apply([quiet('gold')]);
      const byEndpoint = env.emulator.control.counters().byEndpoint;
      expect(byEndpoint.deleteAudience?.requests ?? 0).toBe(0);
      expect(byEndpoint.createAudience?.requests ?? 0).toBe(0);
      expect(reverted.plan.steps).toEqual([]);
      expect(remote(env).map((a) => [a.audienceName, a.audienceId])).toEqual([['Audience gold', gold]]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(gold);
      expect(record?.intent).toBeUndefined();
    });
  });

  it('resumes an interrupted PATCH (it did not reach the service): read back, planned again and sent once', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      await leaveIntent(env, 'gold', 'patch');
      env.emulator.control.resetCounters();
      const edited = [quiet('gold', { spec: { description: 'edited' } })];
      const outcome = await env.apply(edited);
      expect(outcome.report?.resumed).toEqual([
        `prod/gold: interrupted PATCH of ${idOf(env, 'gold')} settled by reading the audience back: the service shows the description, labels and ttlInDays recorded before it; the plan brings the audience to the manifest`,
      ]);
      expect(byKey(outcome.report?.results)).toEqual({ 'prod/gold:update': 'applied' });
      expect(env.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(1);
      expect(remote(env)[0]!.description).toBe('edited');
      expect((await env.plan(edited)).steps).toEqual([]);
    });
  });

  it('resumes an interrupted run request: the run the service started is adopted, not started again', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const requested = [quiet('gold', { ingestion: { onCreate: false, request: 'r1' } })];
      // The run was started, then the process died before recording it.
      await leaveIntent(env, 'gold', 'run', 'request:r1');
      const started = await env.emulator.request('POST', `/external-audience/${idOf(env, 'gold')}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(started.status).toBe(200);
      const outcome = await env.apply(requested);
      expect(outcome.plan.steps).toEqual([]);
      const runs = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', idOf(env, 'gold'));
      expect(runs).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.runs.map((r) => r.runId)).toEqual([runs[0]!.runId]);
    });
  });

  it('resumes an interrupted run request that started nothing: asked again, one run', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('gold')]);
      const requested = [quiet('gold', { ingestion: { onCreate: false, request: 'r1' } })];
      await leaveIntent(env, 'gold', 'run', 'request:r1');
      const outcome = await env.apply(requested);
      expect(outcome.report?.resumed).toEqual([
        'prod/gold: interrupted run request shows no run so far: a run it still starts is adopted as its own by the next run step that lists it, otherwise the plan asks again if still needed',
      ]);
      expect(byKey(outcome.report?.results)).toEqual({ 'prod/gold:run': 'applied' });
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', idOf(env, 'gold'))).toHaveLength(1);
      expect((await env.plan(requested)).steps).toEqual([]);
    });
  });
});
