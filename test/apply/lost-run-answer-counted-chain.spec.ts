import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor } from '../helpers/executor-env.js';
import { cutRunsPage, daysLater, goldWithRuns, requestRun, runsOf } from './helpers/cut-runs-page.js';

// Review verify-39, M-3: past 40 runs, a run step over a counted, oldest-first runs page starts
// its run only by the chain of `countedBefore` on the record's newest run (the record keeps its
// newest 20). A run request whose answer was lost keeps the count in its intent; the run it
// started, recorded from the intent (`state settle-run --run-id`, or adopted), did not: every
// later run step of the audience was blocked for good, every run recorded.

const { service: CUT, plan: PLAN } = cutRunsPage(100);

describe('an audience of more than 40 runs, listed oldest first and cut at 20, after a lost run answer', () => {
  it('starts its next run once the run the request started is settled from its intent', async () => {
    await withExecutor(CUT, async (env) => {
      // One run a day: the record keeps its newest 20 runs (and those of the last day).
      await goldWithRuns(env, PLAN, 40, { daily: true });
      daysLater(env, 41);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      const lost = await requestRun(env, PLAN, 'r41');
      expect(lost.status).not.toBe('applied');
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');
      expect(runsOf(env)).toHaveLength(42);
      const started = runsOf(env).at(-1)!.runId;

      const settled = await runCliInProcess(
        ['state', 'settle-run', 'gold', '--sandbox', 'prod', '--state', env.stateDir, '--run-id', started],
        { env: emulatorEnv(env.emulator) },
      );
      expect(settled.code).toBe(0);
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();

      daysLater(env, 42);
      const next = await requestRun(env, PLAN, 'r42');
      expect(`${next.status}: ${next.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(43);
    });
  });
});
