import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { cutRunsPage, goldWithRuns, runsOf } from './helpers/cut-runs-page.js';

// Review runs-39 L-1: against a service that lists runs oldest first, cut at 20, and counts them
// (`_page.totalCount`), a run request whose connection dropped before the service took it
// started nothing, and the service's count says so: the same as in the list read just before
// the request. The step keeps the intent ("cannot tell whether the run request started a
// run") and every apply after says the same until a person runs `state settle-run --no-run`.

const { service: CUT, plan: PLAN } = cutRunsPage(50);

describe('a run request lost before the service took it, over a counted oldest-first page', () => {
  it('is settled as "no run" by the unchanged count, and the next apply starts the run', async () => {
    await withExecutor(CUT, async (env) => {
      await goldWithRuns(env, PLAN, 20);

      env.emulator.control.queueFault({ kind: 'drop', endpoint: 'startRun' });
      const requested = manifestObject('gold', { ingestion: { request: 'r21' } });
      const first = await env.apply([requested], { plan: PLAN });
      expect(env.emulator.control.counters().faults.drop).toBe(1);
      expect(runsOf(env)).toHaveLength(21);
      const step = first.report!.results.find((r) => r.step.kind === 'run')!;
      expect(`${step.status}: ${step.message}`).toMatch(
        /^failed: run request outcome unknown .*the service shows no run from it yet: a run it still starts is adopted as its own by the next run step that lists it, otherwise the next apply asks again$/,
      );

      const second = await env.apply([requested], { plan: PLAN });
      const again = second.report!.results.find((r) => r.step.kind === 'run')!;
      expect(`${again.status}: ${again.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(22);
    });
  });
});
