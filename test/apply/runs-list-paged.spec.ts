import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { cutRunsPage, goldWithRuns, runsOf } from './helpers/cut-runs-page.js';

// The emulator's `runsListCut: paged`: a service that refuses the runs list's commented-out
// limit/sortBy and serves the bare list 20 runs at a time, oldest first, each page counting the
// runs (`_page.totalCount`) and naming the next by `_links.next.href`, as the platform's other
// lists page (review runs-39, M-2, till now shown only against a fake service,
// test/aep/runs-list-pages.spec.ts). The run step reads the list to its end: a run a person
// started, still in progress and only on the second page, is waited for, never run over, and
// the step then starts its own.

const CUT = cutRunsPage(50);
const PLAN = CUT.plan;

type Page = {
  runs: { runId: string; status?: string }[];
  _page?: { totalCount: number; count: number };
  _links?: { next: { href: string } };
};

describe('a runs list paged at 20, oldest first, counted, by _links.next.href', () => {
  // Every run's createdAt is the audience's (a reading the page allows), so the person's run is
  // not held as untraced by its time: only its status on the list tells the step of it.
  const paged = {
    ...CUT.service,
    compat: { ...CUT.service.compat, runsListCut: 'paged', runCreatedAt: 'audience' },
  } as const;

  it('is read to its end by a run step: a run in progress on its second page is waited for', async () => {
    await withExecutor(paged, async (env) => {
      // The first run at the create, then one per ingestion.request token: 21 runs in all.
      await goldWithRuns(env, PLAN, 20);
      const { audienceId } = runsOf(env)[0]!;
      // A person starts a run in the UI; it takes about a second and a half.
      env.emulator.control.setDelays({ runStageDelayMs: 800 });
      const person = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      env.emulator.control.setDelays({ runStageDelayMs: 0 });
      expect(person.status).toBe(200);
      const outside = (person.body as { runId: string }).runId;

      // What the service answers: the 20 oldest, a count of 22 and a link; the link, the rest,
      // the person's run among them, in progress, and no further link.
      const first = await env.emulator.request('GET', `/external-audience/${audienceId}/runs`);
      const page = first.body as Page;
      expect(page.runs).toHaveLength(20);
      expect(page._page?.totalCount).toBe(22);
      expect(page.runs.map((run) => run.runId)).not.toContain(outside);
      const href = page._links!.next.href;
      const linked = await fetch(new URL(href, env.emulator.apiBaseUrl), {
        headers: await env.emulator.headers(),
      });
      const second = (await linked.json()) as Page;
      expect(second.runs.map((run) => [run.runId, run.status])).toContainEqual([outside, 'PROCESSING']);
      expect(second.runs).toHaveLength(2);
      expect(second._links).toBeUndefined();

      env.emulator.control.resetCounters();
      const applied = await env.apply([manifestObject('gold', { ingestion: { request: 'r21' } })], {
        plan: PLAN,
      });
      const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
      // No run request while the person's run was in progress: the emulator refuses one (422),
      // and answered none but 200.
      const log = env.emulator.control.requestLog();
      const starts = log.filter((entry) => entry.endpoint === 'startRun').map((entry) => entry.status);
      expect(starts).toEqual([200]);
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      const runs = runsOf(env);
      expect(runs).toHaveLength(23);
      expect(runs.find((run) => run.runId === outside)?.status).toBe('SUCCESS');
    });
  });
});
