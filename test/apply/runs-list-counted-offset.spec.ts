import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { bareRunsList, cutRunsPage, goldWithRuns, requestRun, runsOf } from './helpers/cut-runs-page.js';

// Review runs-41 M-2: a service that refuses the runs list's commented-out limit/sortBy and
// pages the bare list as the platform's other lists do, 20 runs from `start`, oldest first,
// counting them (`_page.totalCount`) but naming no next page (emulator `runsListCut: offset`
// with `_page` included). A bare list without a count is read on by `start` (runs-40 H-1); one
// with a count is not: it is "cut short by its own count" at once. A run a person started past
// the first page is then never seen for what it is: the step is held by "a run ... may be past
// the page: check the runs in AEP", not by that run, named, with the one command that records
// it (as the same list without `_page` says it, test/apply/runs-list-offset.spec.ts).

const { service: BASE, plan: PLAN } = cutRunsPage(50);

const SERVICE = { ...BASE, compat: { runsListParams: 'accepted' } } as const;

describe('a bare runs list counted, paged from start without a link, limit/sortBy refused', () => {
  it('a run a person started past the first page is seen as the one it is', async () => {
    await withExecutor(SERVICE, async (env) => {
      await goldWithRuns(env, PLAN, 20);
      env.emulator.control.updateSettings({
        compat: { runsListParams: 'refused', runsListPage: 'included', runsListCut: 'offset' },
      });
      const { audienceId } = runsOf(env)[0]!;
      const { clockOffsetMs } = env.emulator.control.updateSettings({});
      env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs + 60_000 });
      const person = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(person.status).toBe(200);
      const outside = (person.body as { runId: string }).runId;
      const first = await bareRunsList(env);
      expect(first.runs).toHaveLength(20);
      expect(first._page).toMatchObject({ totalCount: 22 });
      expect(first._links).toBeUndefined();
      expect((await bareRunsList(env, '?start=20')).runs).toHaveLength(2);

      const step = await requestRun(env, PLAN, 'r21');
      expect(`${step.status}: ${step.message}`).toMatch(
        new RegExp(
          `^blocked: audience \\S+ shows run ${outside} \\(SUCCESS, .*which this state store has no trace of`,
        ),
      );
      expect(runsOf(env)).toHaveLength(22);
    });
  });
});
