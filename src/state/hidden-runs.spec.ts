import { describe, expect, it } from 'vitest';
import { aRecord } from '../../test/state/helpers.js';
import type { Run, RunsListed } from '../aep/types.js';
import { countedBeforeSettled, hiddenRunsRecorded } from './hidden-runs.js';
import type { RunRecord } from './schema.js';

const DAY = 86_400;
/** Run `index` of an audience's runs, one a day. */
const recorded = (index: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId: `r${index}`,
  status: 'SUCCESS',
  createdAt: 100 * DAY + index * DAY,
  dataFilterStartTime: 0,
  ...extra,
});
/** The service's oldest-first page of runs 0 to 19, counting `total`. */
function page(total: number | undefined): RunsListed {
  const runs: Run[] = Array.from({ length: 20 }, (_, i) => ({
    runId: `r${i}`,
    createdAt: 100 * DAY + i * DAY,
  }));
  const listed: RunsListed = runs.reverse();
  return total === undefined ? listed : Object.assign(listed, { totalCount: total });
}
const recordOf = (runs: RunRecord[]) => ({
  ...aRecord('gold'),
  audienceId: 'a-1',
  runs: [...runs].reverse(),
});

describe('runs past an oldest-first page, counted from the record', () => {
  it('are known when the record holds as many runs off the page as the service counts past it', () => {
    const all = Array.from({ length: 23 }, (_, i) => recorded(i));
    expect(hiddenRunsRecorded(recordOf(all), page(23))).toBe(true);
    // One more past the page than the record holds: a run it has no trace of.
    expect(hiddenRunsRecorded(recordOf(all), page(24))).toBe(false);
    // Its oldest runs cut (they are on the page) change nothing; one past the page it lacks does.
    expect(hiddenRunsRecorded(recordOf(all.slice(5)), page(23))).toBe(true);
    expect(hiddenRunsRecorded(recordOf(all.filter((run) => run.runId !== 'r21')), page(23))).toBe(false);
  });

  it("are known when the service counts one run more than before the record's newest run", () => {
    // 45 runs; the record keeps the newest 20, the newest started over a page counting 44.
    const kept = Array.from({ length: 20 }, (_, i) => recorded(25 + i));
    kept[19] = recorded(44, { countedBefore: 44 });
    expect(hiddenRunsRecorded(recordOf(kept), page(45))).toBe(true);
    expect(hiddenRunsRecorded(recordOf(kept), page(46))).toBe(false);
    // An older run's count tells nothing of the runs since the newest.
    const older = kept.map((run, i) => (i === 18 ? { ...run, countedBefore: 43 } : recorded(25 + i)));
    expect(hiddenRunsRecorded(recordOf(older), page(45))).toBe(false);
  });

  it('are never known from a list that gives no count', () => {
    const all = Array.from({ length: 20 }, (_, i) => recorded(i));
    expect(hiddenRunsRecorded(recordOf(all), page(undefined))).toBe(false);
  });

  it("leave out the runs of an audience the record's replaced", () => {
    const all = Array.from({ length: 21 }, (_, i) => recorded(i));
    const former = { ...recorded(99), runId: 'old-1', formerAudienceId: 'a-0' };
    expect(hiddenRunsRecorded(recordOf([former, ...all]), page(21))).toBe(true);
  });
});

// Review verify-39, M-2: a run settled by hand over such a page carries the count, where it tells.
describe('the count of a run settled by hand over an oldest-first page', () => {
  /** `page(total)` as listRuns marks a page that may lack the newest runs. */
  const cut = (total: number) => Object.defineProperty(page(total), 'holdsNewest', { value: false });
  /** Runs 21 to 40 the record's newest 20 (the older cut), 40 recorded with the count before it. */
  const chain = recordOf(
    Array.from({ length: 20 }, (_, i) => recorded(21 + i, i === 19 ? { countedBefore: 40 } : {})),
  );

  it("is the count less one when every other run past the page is the record's", () => {
    // 41 runs the record accounts for, and the person's: 42.
    expect(countedBeforeSettled(chain, cut(42), 'p')).toBe(41);
    // Or counted off the page: the record holds runs 20 to 22, the person's is the 24th.
    expect(countedBeforeSettled(recordOf([20, 21, 22].map((i) => recorded(i))), cut(24), 'p')).toBe(23);
  });

  it("is unknown where another run past the page is none of the record's, or the page is whole", () => {
    expect(countedBeforeSettled(chain, cut(43), 'p')).toBeUndefined();
    expect(countedBeforeSettled(recordOf([20, 21].map((i) => recorded(i))), cut(24), 'p')).toBeUndefined();
    expect(countedBeforeSettled(chain, page(42), 'p')).toBeUndefined();
    expect(
      countedBeforeSettled(
        chain,
        Object.defineProperty(page(undefined), 'holdsNewest', { value: false }),
        'p',
      ),
    ).toBeUndefined();
  });
});
