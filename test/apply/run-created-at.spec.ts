import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { putAsIs, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The page's other reading of a run's createdAt: "when the request to create the external
// audience was submitted", the audience's creation time for every run of it (its run-status
// sample). The audience is made while AEP's clock is 2 h behind this host's, then AEP's clock
// catches up: every run's createdAt is then 2 h old, whatever the run.

const HOUR_MS = 3_600_000;
const AUDIENCE_READING = { compat: { runCreatedAt: 'audience' }, clockOffsetMs: -2 * HOUR_MS } as const;
/** The page's default runs list page: an audience with this many runs lists a page-long list. */
const RUNS_PAGE = 20;

/** The runs the emulator holds (its own record: their true times), oldest first. */
function runsOf(env: ExecutorEnv) {
  return env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').sort((a, b) => a.createdAt - b.createdAt);
}

/** Two hours pass in AEP's clock (this host's does not move); the client sees it at its next answer. */
async function twoHoursLater(env: ExecutorEnv): Promise<void> {
  env.emulator.control.updateSettings({ clockOffsetMs: 0 });
  await env.client.listAudiences('prod', { limit: 1 });
}

/** Runs started on the audience one after another (each ended before the next), as earlier days' runs. */
async function earlierRuns(env: ExecutorEnv, audienceId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const run = await env.client.startRun('prod', audienceId, { dataFilterStartTime: 1_700_000_000 + i });
    let status = run.status;
    while (status !== 'SUCCESS' && status !== 'FAILED') {
      status = (await env.client.getRun('prod', audienceId, run.runId)).status;
    }
  }
}

describe("a run's createdAt read as its audience's creation time", () => {
  it('a lost start answer: the run new since the runs listed before the request is adopted, none started again', async () => {
    await withExecutor(AUDIENCE_READING, async (env) => {
      await env.apply([manifestObject('gold')]);
      expect(runsOf(env)).toHaveLength(1);
      await twoHoursLater(env);

      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      const requested = manifestObject('gold', { ingestion: { request: 'r1' } });
      const outcome = await env.apply([requested]);
      const step = outcome.report!.results.find((r) => r.step.kind === 'run')!;
      expect(env.emulator.control.counters().faults.responseLost).toBe(1);
      expect(step.status, step.message).toBe('applied');
      const runs = runsOf(env);
      expect(runs).toHaveLength(2);
      expect(step.runId).toBe(runs[1]!.runId);

      // Its createdAt says 2 h ago; the record times it at the request, by this host's clock.
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.runs[0]?.runId).toBe(runs[1]!.runId);
      expect(Math.abs(record!.runs[0]!.createdAt - Math.floor(Date.now() / 1000))).toBeLessThan(60);

      const again = await env.apply([requested]);
      expect(again.plan.steps).toEqual([]);
      expect(runsOf(env)).toHaveLength(2);
    });
  });

  it('a periodic run is timed from when it was started, not from the audience: one run per period', async () => {
    await withExecutor(AUDIENCE_READING, async (env) => {
      const hourly = manifestObject('gold', { ingestion: { onCreate: true, every: '1h' } });
      await env.apply([hourly]);
      expect(runsOf(env)).toHaveLength(1);
      await twoHoursLater(env);

      // Due: the onCreate run is 2 h old in AEP's clock.
      const due = await env.apply([hourly]);
      expect(due.report?.results.map((r) => `${r.step.kind} ${r.status}`)).toEqual(['run applied']);
      expect(runsOf(env)).toHaveLength(2);

      // Just started: not due again, though its createdAt says 2 h ago.
      for (let pass = 0; pass < 2; pass += 1) {
        const again = await env.apply([hourly]);
        expect(again.plan.steps).toEqual([]);
      }
      expect(runsOf(env)).toHaveLength(2);
      const record = await env.store().get('prod', 'gold');
      expect(record?.runs.map((run) => run.reason)).toEqual(['every', 'onCreate']);
    });
  });

  it('a runs list that cannot tell: the step says no run is started until a person settles it, and how', async () => {
    await withExecutor(AUDIENCE_READING, async (env) => {
      await env.apply([manifestObject('gold')]);
      const audienceId = (await env.store().get('prod', 'gold'))!.audienceId!;
      await twoHoursLater(env);

      // The start answer is lost and the list after it fails (a proxy's 404 page); the intent
      // is then as an earlier release wrote it, without the runs listed before the request
      // (a list that fails before it now starts no run): the run new since shows the
      // audience's one time, and no list from before tells it apart.
      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns', after: 1 });
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      const requested = manifestObject('gold', { ingestion: { request: 'r1' } });
      await env.apply([requested]);
      const pending = (await env.store().get('prod', 'gold'))!;
      const unlisted = { ...pending.intent! };
      delete unlisted.knownRunIds;
      delete unlisted.listedAll;
      await putAsIs(env, { ...pending, intent: unlisted });
      const outcome = await env.apply([requested]);
      const step = outcome.report!.results.find((r) => r.step.kind === 'run')!;
      expect(step.status, step.message).toBe('failed');
      expect(step.message).toMatch(/^cannot tell whether the run request started a run \(/);
      expect(step.message).toContain(
        `no run is started for this audience until it is settled: check the runs of audience ${audienceId} in AEP, then run: audiencectl state settle-run gold --sandbox prod --run-id RUN_ID (the run the request started), or audiencectl state settle-run gold --sandbox prod --no-run (it started none)`,
      );
      expect(step.message).not.toContain('the next apply asks the service again');
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');
      expect(runsOf(env)).toHaveLength(2);

      // The next apply's resume cannot tell either, and says how to settle it.
      const again = await env.apply([requested]);
      expect(again.report?.resumed.join('\n')).toMatch(
        /^prod\/gold: cannot tell whether the interrupted run request started a run \(.*\); its intent is kept and no run is started until it is settled \(check the audience's runs in AEP, then run audiencectl state settle-run gold --sandbox prod with --run-id RUN_ID or --no-run\)$/,
      );
      expect(runsOf(env)).toHaveLength(2);
    });
  });

  it('an audience with a page of runs (the list says it is whole): a dropped request and a lost answer are both settled', async () => {
    await withExecutor(
      { ...AUDIENCE_READING, runStageDelayMs: 0, guardrails: { runsPerAudience: 100 } },
      async (env) => {
        await env.apply([manifestObject('gold')]);
        const audienceId = (await env.store().get('prod', 'gold'))!.audienceId!;
        await earlierRuns(env, audienceId, RUNS_PAGE - 1);
        expect(runsOf(env)).toHaveLength(RUNS_PAGE);
        await twoHoursLater(env);
        const requested = manifestObject('gold', { ingestion: { request: 'r1' } });

        // The request never reached the service: no run from it, the intent cleared.
        env.emulator.control.queueFault({ kind: 'drop', endpoint: 'startRun' });
        const dropped = await env.apply([requested]);
        const first = dropped.report!.results.find((r) => r.step.kind === 'run')!;
        expect(first.status, first.message).toBe('failed');
        expect(first.message).toContain('the service shows no run from it');
        expect(runsOf(env)).toHaveLength(RUNS_PAGE);
        expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();

        // Started, its answer lost: the one run new since the list is adopted.
        env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
        const lost = await env.apply([requested]);
        const second = lost.report!.results.find((r) => r.step.kind === 'run')!;
        expect(second.status, second.message).toBe('applied');
        const runs = runsOf(env);
        expect(runs).toHaveLength(RUNS_PAGE + 1);
        expect(second.runId).toBe(runs[RUNS_PAGE]!.runId);

        const again = await env.apply([requested]);
        expect(again.plan.steps).toEqual([]);
        expect(runsOf(env)).toHaveLength(RUNS_PAGE + 1);
      },
    );
  });
});
