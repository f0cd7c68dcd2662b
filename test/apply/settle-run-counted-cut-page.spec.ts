import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { cutRunsPage, goldWithRuns, runsOf } from './helpers/cut-runs-page.js';

// Review verify-39 M-1: since a5aaed78, a run step over a counted, oldest-first runs page whose
// runs past the page are not all the record's is blocked, naming `state settle-run ... --run-id`
// as the way out. That command reads the same list, which listRuns throws (RunsListCutError),
// and refuses: "cannot read the runs of audience ... retry later": the block's advice is a dead
// end, every apply blocked again.

const { service: CUT, plan: PLAN } = cutRunsPage(50);

describe('a run step blocked over a counted cut runs page, and the settle-run it names', () => {
  it('records the person run the block asks to settle', async () => {
    await withExecutor(CUT, async (env) => {
      await goldWithRuns(env, PLAN, 20);
      const { audienceId } = runsOf(env)[0]!;
      // An hour later in the service's clock: the person's run is newer than every recorded run.
      env.emulator.control.updateSettings({ clockOffsetMs: 3_600_000 });
      const person = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(person.status).toBe(200);
      const personRun = runsOf(env).at(-1)!.runId;
      const held = await env.apply([manifestObject('gold', { ingestion: { request: 'r21' } })], {
        plan: PLAN,
      });
      const blocked = held.report!.results.find((r) => r.step.kind === 'run')!;
      expect(blocked.status).toBe('blocked');
      expect(blocked.message).toContain('audiencectl state settle-run gold --sandbox prod');

      const settled = await runCliInProcess(
        ['state', 'settle-run', 'gold', '--sandbox', 'prod', '--state', env.stateDir, '--run-id', personRun],
        { env: emulatorEnv(env.emulator) },
      );
      expect(settled.stderr).toBe('');
      expect(settled.code).toBe(0);
      const after = (await env.store().get('prod', 'gold'))!;
      expect(after.runs.map((run) => run.runId)).toContain(personRun);

      // The way out: every run past the page is now one the record holds, and the run starts.
      const next = await env.apply([manifestObject('gold', { ingestion: { request: 'r21' } })], {
        plan: PLAN,
      });
      const step = next.report!.results.find((r) => r.step.kind === 'run')!;
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(23);
    });
  });
});
