import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { cutRunsPage, goldWithRuns, runsOf } from './helpers/cut-runs-page.js';

// Review runs-39 H-1: a service that refuses limit/sortBy and lists an audience's runs oldest
// first, cut at the page's default 20 (`_page.totalCount` says how many there are). An
// audience whose every run audiencectl started and recorded itself (an `every: 1d` audience
// after three weeks, say) has its 21st and later runs past the page: those are exactly the runs
// the record holds past it, which the count proves. The run step must start its run; it fails
// on every apply instead ("could not read the audience's runs before starting one").

const { service: CUT, plan: PLAN } = cutRunsPage(50);

describe('an audience whose 21 runs audiencectl started, listed oldest first and cut at 20', () => {
  it('starts its next run: every run past the page is one the record holds', async () => {
    await withExecutor(CUT, async (env) => {
      // The first run at the create, then one per ingestion.request token: 21 runs in all.
      await goldWithRuns(env, PLAN, 20);
      // What the service answers: the 20 oldest, and a count of 21.
      const { audienceId } = runsOf(env)[0]!;
      const listed = await env.emulator.request('GET', `/external-audience/${audienceId}/runs`);
      expect((listed.body as { _page: { totalCount: number } })._page.totalCount).toBe(21);
      expect((listed.body as { runs: unknown[] }).runs).toHaveLength(20);

      const next = await env.apply([manifestObject('gold', { ingestion: { request: 'r21' } })], {
        plan: PLAN,
      });
      const step = next.report!.results.find((r) => r.step.kind === 'run')!;
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(22);

      // A person starts a run in the UI: past the page, counted, and no run of the record's.
      const person = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(person.status).toBe(200);
      const held = await env.apply([manifestObject('gold', { ingestion: { request: 'r22' } })], {
        plan: PLAN,
      });
      const blocked = held.report!.results.find((r) => r.step.kind === 'run')!;
      expect(`${blocked.status}: ${blocked.message}`).toMatch(
        /^blocked: the service lists 20 of the 23 runs of audience \S+, in its own order .*, and the 3 past the page are not all runs this state store records, .*past the page: no run is started/,
      );
      expect(blocked.message).toContain('audiencectl state settle-run gold --sandbox prod');
      expect(runsOf(env)).toHaveLength(23);
    });
  });
});
