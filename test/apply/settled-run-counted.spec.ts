import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor } from '../helpers/executor-env.js';
import { cutRunsPage, daysLater, goldWithRuns, requestRun, runsOf } from './helpers/cut-runs-page.js';

// Review verify-39 M-2: a5aaed78 lets a run step over a counted, oldest-first runs page start its
// run when the record holds every run past the page, told by counting: the record's runs off
// the page (but the record keeps only its newest MAX_RUNS = 20, so this holds only up to 40
// runs), or a chain of `countedBefore` on the record's newest run. A run a person started in the
// UI, settled as the block says (`state settle-run --run-id`), is recorded without one: past 40
// runs, every later run step of the audience is blocked for good, and no settle-run helps (every
// run is recorded). An `every: 1d` audience stops after one run by hand in its seventh week.

const { service: CUT, plan: PLAN } = cutRunsPage(100);

describe('an audience of more than 40 runs, listed oldest first and cut at 20, after a run by hand', () => {
  it('starts its next run once the run by hand is settled', async () => {
    await withExecutor(CUT, async (env) => {
      // One run a day, as an `every: 1d` audience runs: the record keeps its newest 20 runs (and
      // those of the last day's budget window).
      await goldWithRuns(env, PLAN, 40, { daily: true });
      const { audienceId } = runsOf(env)[0]!;

      // A day later, a person starts a run in the UI.
      daysLater(env, 41);
      const person = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(person.status).toBe(200);
      const personRun = runsOf(env).at(-1)!.runId;
      const held = await requestRun(env, PLAN, 'r41');
      expect(held.status).toBe('blocked');
      expect(held.message).toContain('audiencectl state settle-run gold --sandbox prod');

      // As the block says: the run is newer than every run the store records, so it is settled.
      const settled = await runCliInProcess(
        ['state', 'settle-run', 'gold', '--sandbox', 'prod', '--state', env.stateDir, '--run-id', personRun],
        { env: emulatorEnv(env.emulator) },
      );
      expect(settled.stderr).toBe('');
      expect(settled.code).toBe(0);

      daysLater(env, 42);
      // Every run past the page is now one the service counted before a recorded one: it runs.
      const next = await requestRun(env, PLAN, 'r41');
      expect(`${next.status}: ${next.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(43);
    });
  });
});
