import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, NOW, options } from '../helpers/planning.js';

// Runs' createdAt are AEP's times; `now` is the local clock's; `clockOffset` is AEP's minus ours.
const DAY = 86_400;

const hourly = (request?: string) =>
  loadTexts({
    'g.yaml': manifestYaml('gold', {
      ingestion: { every: '1h', ...(request === undefined ? {} : { request }) },
    }),
  });

/** gold, applied, with `count` successful runs at the given AEP times (newest first). */
function withRuns(createdAt: readonly number[]): RecordedState {
  const state = appliedState(hourly());
  state.audiences[0]!.runs = createdAt.map((at, i) => ({
    runId: `r${i}`,
    status: 'SUCCESS',
    createdAt: at,
    dataFilterStartTime: 0,
  }));
  return state;
}

describe('plan: runs against a local clock off AEP clock', () => {
  it('a clock 2 days ahead, measured: a run AEP made 10 minutes ago is not due, and the plan says why', () => {
    const local = NOW + 2 * DAY;
    const result = plan(hourly(), withRuns([NOW - 600]), options({ now: local, clockOffset: -2 * DAY }));
    expect(kinds(result)).toEqual([]);
    expect(result.clock).toEqual({
      offsetSeconds: -2 * DAY,
      note: "the local clock is 2 d ahead of AEP's (its Date header): runs are timed and budgeted in AEP's clock; fix this machine's clock (NTP)",
    });
    // Unmeasured, the same clock reads the run as 2 days old: that is the runaway being closed.
    expect(kinds(plan(hourly(), withRuns([NOW - 600]), options({ now: local })))).toEqual(['run prod/gold']);
  });

  it('a clock 2 days ahead, measured: the daily budget counts the runs of the last 24 h in AEP clock', () => {
    const tenToday = Array.from({ length: 10 }, (_, i) => NOW - 3_600 * (i + 1));
    const result = plan(
      hourly('again'),
      withRuns(tenToday),
      options({ now: NOW + 2 * DAY, clockOffset: -2 * DAY }),
    );
    expect(kinds(result)).toEqual(['run prod/gold (deferred)']);
    expect(result.steps[0]!.deferred).toBe('audience has used its 10 runs of the last 24 h');
  });

  it('a clock 2 days behind, measured: the period is timed in AEP clock', () => {
    const result = plan(
      hourly(),
      withRuns([NOW - 3_600]),
      options({ now: NOW - 2 * DAY, clockOffset: 2 * DAY }),
    );
    expect(kinds(result)).toEqual(['run prod/gold']);
    expect(result.steps[0]!.run?.reason).toBe('every');
  });

  it('a clock 2 days behind, not measured: the run in its future is a deferred step that says so', () => {
    const result = plan(hourly(), withRuns([NOW - 3_600]), options({ now: NOW - 2 * DAY }));
    expect(kinds(result)).toEqual(['run prod/gold (deferred)']);
    expect(result.steps[0]!.deferred).toMatch(
      /^its last run was created 47 h after this machine's clock reads now: the local clock is behind AEP's/,
    );
    expect(result.clock?.runAheadSeconds).toBe(2 * DAY - 3_600);
  });

  it('within the tolerance (5 min): the local clock is trusted as before, and nothing is said', () => {
    const state = withRuns([NOW - 3_600 + 200]);
    for (const clockOffset of [undefined, 299, -299]) {
      const result = plan(hourly(), state, options({ clockOffset }));
      expect(kinds(result)).toEqual([]);
      expect(result.clock).toBeUndefined();
    }
    expect(kinds(plan(hourly(), withRuns([NOW - 3_600]), options({ clockOffset: 299 })))).toEqual([
      'run prod/gold',
    ]);
  });
});
