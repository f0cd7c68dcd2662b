import { describe, expect, it } from 'vitest';
import { aRecord, appliedSpec } from '../../test/state/helpers.js';
import { MAX_RUNS, applyChanges, mergeRun } from './record-changes.js';
import { normaliseRecord } from './normalise-record.js';
import type { RunRecord } from './schema.js';

const run = (runId: string, status = 'SUCCESS', createdAt = 1): RunRecord => ({
  runId,
  status,
  createdAt,
  dataFilterStartTime: 0,
});
const DAY = 86_400;
/** `count` runs begun a minute apart, the newest at `newest`. */
const runsFrom = (prefix: string, count: number, newest: number) =>
  Array.from({ length: count }, (_, i) => run(`${prefix}${i}`, 'SUCCESS', newest - i * 60));

describe('record changes', () => {
  it('adds a new run first and replaces a known one in place', () => {
    expect(mergeRun([run('r1')], run('r2')).map((r) => r.runId)).toEqual(['r2', 'r1']);
    expect(mergeRun([run('r2', 'PROCESSING'), run('r1')], run('r2')).map((r) => r.status)).toEqual([
      'SUCCESS',
      'SUCCESS',
    ]);
    const full = Array.from({ length: MAX_RUNS }, (_, i) => run(`r${i}`));
    expect(mergeRun(full, run('new', 'SUCCESS', 2 * DAY))).toHaveLength(MAX_RUNS);
  });

  it('keeps past MAX_RUNS every run begun within a day of the newest: it may still count against the daily budget', () => {
    // 20 runs within the last hours, and a new one: the 21st still counts.
    const today = runsFrom('r', 20, 10 * DAY);
    expect(mergeRun(today, run('new', 'SUCCESS', 10 * DAY + 60))).toHaveLength(21);
    // A record replaced twice in a day: 25 runs that count, none cut; older ones beyond 20 are.
    const counting = runsFrom('c', 25, 10 * DAY);
    const old = runsFrom('o', 5, 8 * DAY);
    expect(
      normaliseRecord({ ...aRecord('gold'), runs: [...old, ...counting] }).runs.map((r) => r.runId),
    ).toEqual(counting.map((r) => r.runId));
    // The window's edge: a run begun exactly a day before the newest is past it.
    const edge = [...runsFrom('e', 20, 10 * DAY), run('day-old', 'SUCCESS', 10 * DAY - DAY)];
    expect(normaliseRecord({ ...aRecord('gold'), runs: edge }).runs).toHaveLength(20);
  });

  it('merges given fields, leaves the others, sets or clears the blocked mark', () => {
    const blocked = { code: 'X', message: 'm', at: 't' };
    const base = aRecord('gold');
    const changed = applyChanges(base, {
      audienceId: 'new',
      applied: appliedSpec('gold', 'changed'),
      blocked,
    });
    expect(changed).toEqual({ ...base, audienceId: 'new', applied: appliedSpec('gold', 'changed'), blocked });
    expect(applyChanges(changed, { blocked: null }).blocked).toBeUndefined();
    expect(applyChanges(changed, {})).toEqual(changed);
  });

  it('validates and bounds a record', () => {
    // One run a day: only the newest could still count.
    const runs = Array.from({ length: MAX_RUNS + 3 }, (_, i) => run(`r${i}`, 'SUCCESS', 100 * DAY - i * DAY));
    expect(normaliseRecord({ ...aRecord('gold'), runs }).runs).toHaveLength(MAX_RUNS);
    expect(() => normaliseRecord({ ...aRecord('gold'), key: 7 } as never)).toThrow();
  });
});
