import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/apply/types.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { executorEnv, putAsIs, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { takeOverDirLock } from '../helpers/taken-over-lock.js';
import { lockPath } from '../../src/state/paths.js';
import type { TestEmulator } from '../helpers/with-emulator.js';

/** The runs list down from after the one read before the run request (a failed one starts no run). */
const RUNS_LIST_DOWN = { kind: 'error500', endpoint: 'listRuns', count: 1000, after: 1 } as const;

function runsOf(env: ExecutorEnv, name: string) {
  const audience = env.emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .find((a) => a.audienceName === name);
  if (!audience) throw new Error(`no audience named ${name}`);
  return env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId);
}

describe('a run whose start cannot be confirmed is never started again', () => {
  it('a lost run answer and a failing runs list: the step stays unresolved, one run only, then adopted', async () => {
    await withExecutor(undefined, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      await env.apply([gold]);
      const requested = manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } });

      // The service starts the run but its answer is lost; the runs list answers 500.
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      env.emulator.control.queueFault(RUNS_LIST_DOWN);
      const first = await env.apply([requested]);
      const run = first.report!.results.find((r) => r.step.kind === 'run')!;
      expect(run.status).toBe('failed');
      expect(run.message).toMatch(/cannot tell whether/);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');
      expect(runsOf(env, 'Audience gold')).toHaveLength(1);

      // Still down: the next apply neither aborts nor starts a second run.
      const second = await env.apply([requested]);
      expect(second.report?.results.map((r) => r.status) ?? []).not.toContain('applied');
      expect(second.report?.resumed.join('\n')).toMatch(/gold.*kept/);
      expect(runsOf(env, 'Audience gold')).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');

      // The list answers again: the run is adopted, the request honoured, nothing left to do.
      env.emulator.control.clearFaults();
      const third = await env.apply([requested]);
      expect(third.report).toBeUndefined();
      expect(third.plan.steps).toEqual([]);
      expect(runsOf(env, 'Audience gold')).toHaveLength(1);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.runs.map((r) => r.runId)).toEqual(runsOf(env, 'Audience gold').map((r) => r.runId));
      expect((await env.plan([requested])).steps).toEqual([]);
    });
  });

  // The request was sent (a 500: the run may have started; a lost answer: it did), and its check
  // against the runs list ends in a stop: the check's write finds the lock taken over by another
  // process (STATE_LOCK_LOST), which stops the apply. It was "skipped", which says nothing was sent.
  it.each([
    {
      name: 'answered 500',
      fault: { kind: 'error500', endpoint: 'startRun' },
      resumed:
        /^prod\/gold: interrupted run request shows no run so far: a run it still starts is adopted as its own by the next run step that lists it, otherwise the plan asks again if still needed$/,
    },
    {
      name: 'whose answer is lost',
      fault: { kind: 'responseLost', endpoint: 'startRun' },
      resumed: /^prod\/gold: adopted run \S+ started by an interrupted apply$/,
    },
  ] as const)(
    'a run request $name, its check cut by a stop: said sent, its outcome unknown, the intent kept; the next apply settles it and starts no second run',
    async ({ fault, resumed }) => {
      await withExecutor(undefined, async (env) => {
        await env.apply([manifestObject('gold', { ingestion: { onCreate: false } })]);
        const requested = manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } });
        env.emulator.control.queueFault(fault);
        const finished: StepResult[] = [];
        const stopped = env.apply([requested], {
          progress: { stepStarted() {}, stepFinished: (step) => finished.push(step), note() {}, close() {} },
          // The check's write (the run intent settled) is the one that finds the lock taken over.
          store: (store) => {
            const resolve = store.resolveIntent.bind(store);
            store.resolveIntent = async (record, resolution) => {
              if (record.intent?.kind === 'run') await takeOverDirLock(env.stateDir);
              return resolve(record, resolution);
            };
            return store;
          },
        });
        await expect(stopped).rejects.toMatchObject({ code: 'STATE_LOCK_LOST' });
        await rm(lockPath(env.stateDir), { force: true });
        expect(env.emulator.control.counters().byEndpoint.startRun.requests).toBe(1);
        const run = finished.find((r) => r.step.kind === 'run')!;
        expect(run.status, run.message).toBe('failed');
        expect(run.message).toMatch(
          /^run request sent, its outcome unknown \(.+\); its check against the runs list failed \(.*lost the state lock.*\): the intent is kept, and the next apply settles it from the runs list, never starting a second run$/,
        );
        expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');

        // Settled on resume: adopted, or none started (then asked for once): one run from r1.
        let notes: string[] = [];
        await env.apply([requested], {
          review: (_, settled) => {
            notes = settled;
            return true;
          },
        });
        expect(notes).toHaveLength(1);
        expect(notes[0]).toMatch(resumed);
        expect(runsOf(env, 'Audience gold')).toHaveLength(1);
        const record = await env.store().get('prod', 'gold');
        expect(record?.intent).toBeUndefined();
        expect(record?.applied?.ingestionRequest).toBe('r1');
        expect((await env.plan([requested])).steps).toEqual([]);
      });
    },
  );

  it('one audience whose interrupted run cannot be resolved does not stop the others', async () => {
    await withExecutor(undefined, async (env) => {
      const names = ['gold', 'silver'];
      const plain = names.map((n) => manifestObject(n, { ingestion: { onCreate: false } }));
      await env.apply(plain);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      env.emulator.control.queueFault(RUNS_LIST_DOWN);
      await env.apply([manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } }), plain[1]!]);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');

      // With gold's intent still unresolvable, silver is edited: the apply goes on for silver.
      const edited = manifestObject('silver', {
        ingestion: { onCreate: false },
        spec: { description: 'edited' },
      });
      const outcome = await env.apply([
        manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } }),
        edited,
      ]);
      const silver = outcome.report!.results.find((r) => r.step.key === 'silver')!;
      expect(silver.status).toBe('applied');
      expect(runsOf(env, 'Audience gold')).toHaveLength(1);
    });
  });
});

// The runs list is how a lost run answer is settled: in every reading of it (the page's
// parameters refused, so the list comes oldest first; `_page` left out), and with AEP's
// clock 200 s behind (within the 5 minutes runs are timed by the local clock, beyond the
// 2 minutes' adoption margin: compared in AEP's clock), the run the request started is
// found and adopted, never started again.
const runsListReadings = [
  { name: 'the default emulator', options: {} },
  { name: 'a runs list without parameters', options: { compat: { runsListParams: 'refused' } } },
  { name: 'a runs list without _page', options: { compat: { runsListPage: 'omitted' } } },
  { name: 'a service clock 200 s behind', options: { clockOffsetMs: -200_000 } },
] as const;

describe.each(runsListReadings)('a lost run answer against $name', ({ options }) => {
  it('is settled from the runs list: the run it started is adopted, not started again', async () => {
    await withExecutor(options, async (env) => {
      await env.apply([manifestObject('gold')]);
      const [onCreate] = runsOf(env, 'Audience gold');
      expect(onCreate?.status).toBe('SUCCESS');

      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      const requested = manifestObject('gold', { ingestion: { request: 'r1' } });
      const outcome = await env.apply([requested]);
      const run = outcome.report!.results.find((r) => r.step.kind === 'run')!;
      expect(run.status).toBe('applied');
      expect(env.emulator.control.counters().faults.responseLost).toBe(1);
      const runs = runsOf(env, 'Audience gold');
      expect(runs).toHaveLength(2);
      const started = runs.find((r) => r.runId !== onCreate?.runId);
      expect(run.runId).toBe(started?.runId);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.runs.map((r) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
      expect((await env.plan([requested])).steps).toEqual([]);
    });
  });
});

/** Guardrails wide enough for more runs than a page of the list, each done as soon as started. */
const MANY_RUNS = { runStageDelayMs: 0, guardrails: { runsPerAudience: 50 } };

/**
 * `count` runs of gold started outside audiencectl, one after another, each a millisecond
 * later in the emulator's clock than the one before would be (the emulator sorts runs on
 * their creation time and keeps ties in the order they were started, so two started in one
 * millisecond would come oldest first in a newest-first list: on Node 24 two requests often
 * fit in one); their ids. The clock is left 1 ms a run ahead, far within any tolerance.
 */
async function runsOutside(emulator: TestEmulator, count: number): Promise<string[]> {
  const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  const { clockOffsetMs } = emulator.control.updateSettings({});
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs + index });
    const started = await emulator.request('POST', `/external-audience/${audience!.audienceId}/runs`, {
      body: { dataFilterStartTime: index },
    });
    if (started.status >= 300) throw new Error(`run ${index} not started: ${started.text}`);
    ids.push((started.body as { runId: string }).runId);
  }
  return ids;
}

/**
 * gold applied, 20 runs of it started outside audiencectl, and the answer to the next run
 * request lost: the manifest that requests that run, and the outside runs' ids.
 */
async function lostAmongTwenty(env: ExecutorEnv): Promise<{ requested: ManifestInput; outside: string[] }> {
  await env.apply([manifestObject('gold', { ingestion: { onCreate: false } })]);
  const outside = await runsOutside(env.emulator, 20);
  // Those runs are history the record took the audience with (imported after them): a run the
  // record has no trace of, newer than what it knows, holds its run step (review 33b, H-1).
  const gold = (await env.store().get('prod', 'gold'))!;
  await putAsIs(env, { ...gold, imported: { at: new Date(Date.now() + 1000).toISOString() } });
  env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
  return { requested: manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } }), outside };
}

/**
 * Applies `requested` after lostAmongTwenty: its run step adopts the run the lost request
 * started (the one of gold's 21 not started outside), and starts none; that run.
 */
async function adoptsTheLostRun(env: ExecutorEnv, requested: ManifestInput, outside: string[]) {
  const outcome = await env.apply([requested]);
  const step = outcome.report!.results.find((r) => r.step.kind === 'run')!;
  expect(step.status, step.message).toBe('applied');
  const runs = runsOf(env, 'Audience gold');
  expect(runs).toHaveLength(21);
  const lost = runs.find((run) => !outside.includes(run.runId))!;
  expect(step.runId).toBe(lost.runId);
  return lost;
}

// The emulator's bare runs list is 20 a page: 20 runs started outside audiencectl and the lost
// one, and the client must have them newest first (limit/sortBy) before it may read "no run".
describe('a runs list longer than a page, its parameters refused once', () => {
  it('a 400 that does not name limit/sortBy is not remembered: the next apply sorts the list and adopts the run', async () => {
    await withExecutor(MANY_RUNS, async (env) => {
      const { requested, outside } = await lostAmongTwenty(env);
      // The newest-first retry of the cut list gets one 400 that says nothing of the parameters
      // (a gateway's, say). (The first list is the one before the request: 20 runs, not cut.)
      env.emulator.control.queueFault({ kind: 'clientError', endpoint: 'listRuns', status: 400, after: 2 });
      const first = await env.apply([requested]);
      const step = first.report!.results.find((r) => r.step.kind === 'run')!;
      expect(step.status).toBe('failed');
      expect(step.message).toMatch(/cannot tell whether/);
      expect(env.client.compat().runsListParams).toBeUndefined();
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');

      // No fault any more: the list is had newest first, the lost run adopted, none started again.
      const second = await env.apply([requested]);
      expect(second.report).toBeUndefined();
      expect(second.plan.steps).toEqual([]);
      const runs = runsOf(env, 'Audience gold');
      expect(runs).toHaveLength(21);
      const lost = runs.filter((run) => !outside.includes(run.runId));
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.runs.map((r) => r.runId)).toEqual(lost.map((run) => run.runId));
      expect(env.client.compat().runsListParams).toBe('accepted');
    });
  });

  // S-c of the API-tolerance review: `_page` and the list's `limit` (default 20) are both
  // commented out of the page, so a bare list may be cut at 20 with no totalCount; the same
  // comment sorts it by createdAt descending, as the page's visible sample is ordered.
  it('a bare list cut at a page without _page: newest first, it holds the lost run, which is adopted', async () => {
    await withExecutor({ ...MANY_RUNS, compat: { runsListPage: 'omitted' } }, async (env) => {
      const { requested, outside } = await lostAmongTwenty(env);
      const lost = await adoptsTheLostRun(env, requested, outside);
      // What the client read: 20 of the 21 runs, the oldest left out, and nothing saying so.
      const listed = await env.emulator.request('GET', `/external-audience/${lost.audienceId}/runs`);
      const body = listed.body as { runs: { runId: string }[] };
      expect(Object.keys(body)).toEqual(['runs']);
      expect(body.runs.map((run) => run.runId)).toEqual([lost.runId, ...outside.slice(1).reverse()]);
      expect((await env.plan([requested])).steps).toEqual([]);
    });
  });

  it('a remembered refusal is tried again, in the same call, when the bare list comes cut short', async () => {
    await withExecutor(MANY_RUNS, async ({ emulator, stateDir }) => {
      const env = executorEnv(emulator, stateDir, undefined, { remembered: { runsListParams: 'refused' } });
      const { requested, outside } = await lostAmongTwenty(env);
      await adoptsTheLostRun(env, requested, outside);
      expect(env.client.compat().runsListParams).toBe('accepted');
    });
  });
});
