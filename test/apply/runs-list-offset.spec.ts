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

// Review runs-40 H-1: a service that refuses the runs list's commented-out
// limit/sortBy and answers the bare list as the page's sample shows it, `{ "runs": [...] }`,
// with neither `_page` nor a link to a next page.
// It serves the list 20 runs at a time, oldest first, from `start` as the platform's other
// lists page (emulator `runsListCut: offset`), naming no next page. The run step read the first 20 as "maybe a page cut from more" and blocked, on every apply, for good: it never
// asked for the page after them by the very parameter its lists page by.

const { service: BASE, plan: PLAN } = cutRunsPage(50);

// The history is made while the service takes limit/sortBy (each step sees every run).
const SERVICE = { ...BASE, compat: { runsListParams: 'accepted' } } as const;

describe('a bare runs list without _page or link, limit/sortBy refused', () => {
  it('paged from start, oldest first: 21 runs all recorded, the next run is started', async () => {
    await withExecutor(SERVICE, async (env) => {
      await goldWithRuns(env, PLAN, 20);
      bareRunsListOnly(env, 'offset');
      const first = await bareRunsList(env);
      expect(Object.keys(first)).toEqual(['runs']);
      expect(first.runs).toHaveLength(20);
      expect((await bareRunsList(env, '?start=20')).runs).toHaveLength(1);

      const step = await requestRun(env, PLAN, 'r21');
      expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(22);
    });
  });

  it('paged from start: a run a person started past the first page is seen as the one it is', async () => {
    await withExecutor(SERVICE, async (env) => {
      await goldWithRuns(env, PLAN, 20);
      bareRunsListOnly(env, 'offset');
      const { audienceId } = runsOf(env)[0]!;
      // A minute later, as between real runs, a person starts one in the UI.
      const { clockOffsetMs } = env.emulator.control.updateSettings({});
      env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs + 60_000 });
      const person = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(person.status).toBe(200);
      const outside = (person.body as { runId: string }).runId;

      const step = await requestRun(env, PLAN, 'r21');
      expect(`${step.status}: ${step.message}`).toMatch(
        new RegExp(
          `^blocked: audience \\S+ shows run ${outside} \\(SUCCESS, .*which this state store has no trace of`,
        ),
      );
      // No run started over it: the 21 of the history and the person's.
      expect(runsOf(env)).toHaveLength(22);
    });
  });
});
