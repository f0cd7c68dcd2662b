import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review runs-40 M-2: a run step that finds a run started outside audiencectl in progress
// waits for it (runs-39 M-1). The manifest names no ingestion.dataFilterStartTime, so its run
// starts "at the end of the last successful run" (README, ARCHITECTURE): once the outside run
// has succeeded, that is the outside run, which has just taken the files up to its
// dataFilterEndTime. The step started from the last run its record holds instead, ingesting
// again what the outside run took.

const HOUR_MS = 3_600_000;

function audienceOf(env: ExecutorEnv) {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  if (!audience) throw new Error('no audience');
  return audience;
}

describe('a run started outside audiencectl, in progress when a run step lists the runs', () => {
  it('once it succeeded, the step run starts where it ended', async () => {
    // Every run's createdAt is the audience's (a reading the page allows), so the person's run is
    // not held as untraced by its time: the step waits for it, as listed in progress.
    await withExecutor({ runStageDelayMs: 0, compat: { runCreatedAt: 'audience' } }, async (env) => {
      await env.apply([manifestObject('gold')]);
      const { audienceId } = audienceOf(env);
      const [first] = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId);
      const recorded = (await env.store().get('prod', 'gold'))!.runs;
      expect(recorded.map((run) => run.status)).toEqual(['SUCCESS']);

      // An hour later a person starts a run in the UI from where the first ended; it takes
      // about a second and a half, and takes the files up to the time it was started.
      const { clockOffsetMs } = env.emulator.control.updateSettings({});
      env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs + HOUR_MS });
      env.emulator.control.setDelays({ runStageDelayMs: 800 });
      const started = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: first!.dataFilterEndTime },
      });
      env.emulator.control.setDelays({ runStageDelayMs: 0 });
      expect(started.status).toBe(200);
      const outside = started.body as { runId: string; dataFilterEndTime: number };
      expect(outside.dataFilterEndTime).toBeGreaterThan(first!.dataFilterEndTime + 3000);

      const applied = await env.apply([manifestObject('gold', { ingestion: { request: 'r1' } })]);
      const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      const runs = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId);
      expect(runs).toHaveLength(3);
      const own = runs.find((run) => run.runId !== first!.runId && run.runId !== outside.runId)!;
      expect(runs.find((run) => run.runId === outside.runId)?.status).toBe('SUCCESS');
      // From the end of the last successful run: the outside run's.
      expect(own.dataFilterStartTime).toBe(outside.dataFilterEndTime);
    });
  });
});
