import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import {
  bareRunsList,
  bareRunsListOnly,
  cutRunsPage,
  goldWithRuns,
  requestRun,
  runsOf,
} from '../apply/helpers/cut-runs-page.js';

// Review runs-40 H-2: a service that refuses the runs list's commented-out
// limit/sortBy and answers the bare list as the page's sample shows it, `{ "runs": [...] }`,
// with neither `_page` nor a link to a next page.
// - An audience with exactly 20 runs, the list served 20 at a time from `start` (emulator
//   `runsListCut: offset`): read as "maybe a page cut from more", the step blocked, for good
//   (its list never grows), though the page from 20 is empty.
// - A service that answers the whole bare list (emulator `runsListCut: whole`): a list of 21
//   runs cannot be a page cut at the page's default limit of 20, yet it blocked as one.

const { service: BASE, plan: PLAN } = cutRunsPage(50);

// The history is made while the service takes limit/sortBy (each step sees every run).
const SERVICE = { ...BASE, compat: { runsListParams: 'accepted' } } as const;

describe('a bare runs list of 20 runs or more without _page or link, limit/sortBy refused', () => {
  it('paged from start: exactly 20 runs, all recorded, the next run is started', async () => {
    await withExecutor(SERVICE, async (env) => {
      await goldWithRuns(env, PLAN, 19);
      bareRunsListOnly(env, 'offset');
      expect((await bareRunsList(env)).runs).toHaveLength(20);
      expect((await bareRunsList(env, '?start=20')).runs).toHaveLength(0);

      const step = await requestRun(env, PLAN, 'r20');
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(21);
    });
  });

  it('the whole list: 21 runs, all recorded, are no page cut at 20: the next run is started', async () => {
    await withExecutor(SERVICE, async (env) => {
      await goldWithRuns(env, PLAN, 20);
      bareRunsListOnly(env, 'whole');
      expect((await bareRunsList(env)).runs).toHaveLength(21);

      const step = await requestRun(env, PLAN, 'r21');
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(22);
    });
  });
});
