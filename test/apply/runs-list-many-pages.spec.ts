import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { cutRunsPage, requestRun, runsOf } from '../apply/helpers/cut-runs-page.js';
import { manifestObject } from '../helpers/manifests.js';

// Review runs-40 M-4: a service that pages the bare runs list 20 at a time, oldest first,
// linking each next page (emulator `runsListCut: paged`), is read to its end by listRuns
// (runs-pages.ts), but never past 50 pages, "far past the service's runs a day": the list holds
// every run the audience ever had, not a day's. An audience that has run 10 times a day (the
// service's guardrail) for 100 days, or daily for three years, has more than 1,000 runs: every
// run step then fails ("could not read the audience's runs before starting one (... more than 50
// pages)"), on every apply, for good.

const { service: CUT, plan: PLAN } = cutRunsPage(2000);

describe('a runs list paged at 20, linked, of more than 1,000 runs', () => {
  it('is read to its end: the next run is started', async () => {
    // Every run's createdAt is the audience's (a reading the page allows): the runs started
    // outside below are then no runs newer than the record's to hold the step.
    const service = {
      ...CUT,
      guardrails: { runsPerAudience: 2000, runsPerDayPerSandbox: 4000 },
      compat: { ...CUT.compat, runsListCut: 'paged', runCreatedAt: 'audience' },
    } as const;
    await withExecutor(service, async (env) => {
      await env.apply([manifestObject('gold')], { plan: PLAN });
      const { audienceId } = runsOf(env)[0]!;
      for (let index = 0; index < 1000; index += 1) {
        const started = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
          body: { dataFilterStartTime: index },
        });
        if (started.status !== 200) throw new Error(`run ${index}: ${started.text}`);
      }
      expect(runsOf(env)).toHaveLength(1001);

      const step = await requestRun(env, PLAN, 'r1');
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(1002);
    });
  });
});
