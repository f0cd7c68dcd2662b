import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { putAsIs, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The emulator's `runsListCut: page` with the page's other readings of the runs list:
// limit/sortBy refused, no `_page`, and the bare list its first page of 20, oldest first
// (review 37c, M-1). After a run request whose answer was lost, the run it started is the 21st:
// not on the page. The listed runs' times differ, which tells of the runs the page holds, not
// of one past it: the step must keep its intent and never read "no run", which would start a
// second run at the next apply.

const CUT = {
  runStageDelayMs: 0,
  guardrails: { runsPerAudience: 50 },
  compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut: 'page' },
} as const;

function audienceOf(env: ExecutorEnv) {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  if (!audience) throw new Error('no audience');
  return audience;
}

/**
 * Runs `from` to `to` (excluded) of 20 runs of the audience started outside audiencectl, a second
 * apart in the emulator's clock (the 20th a second before now), so the times the list shows
 * differ; their ids. The emulator's clock is back at `clockOffsetMs` after.
 */
async function outsideRuns(
  env: ExecutorEnv,
  clockOffsetMs: number,
  from: number,
  to: number,
): Promise<string[]> {
  const { audienceId } = audienceOf(env);
  const ids: string[] = [];
  for (let index = from; index < to; index += 1) {
    env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - (20 - index) * 1000 });
    const started = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
      body: { dataFilterStartTime: index },
    });
    if (started.status >= 300) throw new Error(`run ${index} not started: ${started.text}`);
    ids.push((started.body as { runId: string }).runId);
  }
  env.emulator.control.updateSettings({ clockOffsetMs });
  return ids;
}

describe('a bare runs list cut at its first page, oldest first, without _page', () => {
  it('a lost run answer is never read as "no run": the intent is kept, no second run is started', async () => {
    await withExecutor(CUT, async (env) => {
      // gold created half a minute ago in the emulator's clock, so runs can be started since.
      const { clockOffsetMs } = env.emulator.control.updateSettings({});
      env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - 30_000 });
      await env.apply([manifestObject('gold', { ingestion: { onCreate: false } })]);
      const outside = await outsideRuns(env, clockOffsetMs, 0, 19);
      // Those runs are history the record took the audience with (imported after them), so
      // they do not hold the run step as runs it has no trace of.
      const gold = (await env.store().get('prod', 'gold'))!;
      await putAsIs(env, { ...gold, imported: { at: new Date(Date.now() + 1000).toISOString() } });

      // The list read before the request holds 19 runs, whole, so the step starts its run (a
      // list that fails, or one that may lack the newest runs, holds the step: review 37v, H-1),
      // whose answer is lost; the 20th outside run is started between that list and the request.
      let listedOnce = false;
      const stop = env.emulator.control.observeRequests(async (request) => {
        if (request.endpoint !== 'listRuns' || request.status !== 200 || listedOnce) return;
        listedOnce = true;
        outside.push(...(await outsideRuns(env, clockOffsetMs, 19, 20)));
      });
      // The outside run's answer passes; the step's is lost.
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun', after: 1 });
      const requested = manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } });
      const first = await env.apply([requested]);
      stop();
      expect(listedOnce).toBe(true);
      expect(env.emulator.control.counters().faults.responseLost).toBe(1);
      const { audienceId } = audienceOf(env);
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(21);

      // What the client reads: the 20 runs started outside, oldest first, nothing saying more.
      const listed = await env.emulator.request('GET', `/external-audience/${audienceId}/runs`);
      const body = listed.body as { runs: { runId: string }[] };
      expect(Object.keys(body)).toEqual(['runs']);
      expect(body.runs.map((run) => run.runId)).toEqual(outside);

      const step = first.report!.results.find((r) => r.step.kind === 'run')!;
      expect(step.status).toBe('failed');
      expect(step.message).toContain('cannot tell whether the run request started a run');
      expect(step.message).toContain('so the run the request started may be past the page');
      expect(step.message).toContain('audiencectl state settle-run gold --sandbox prod');
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');

      // The next apply reads the same page: still undecided, and no second run.
      const second = await env.apply([requested]);
      const again = second.report!.results.find((r) => r.step.kind === 'run')!;
      expect(again.status).toBe('failed');
      expect(again.message).toContain('so the run the request started may be past the page');
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(21);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');
    });
  });
});
