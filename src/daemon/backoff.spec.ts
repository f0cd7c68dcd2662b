import { describe, expect, it } from 'vitest';
import { BackoffTable, backoffDelay } from './backoff.js';

const policy = { baseMs: 1_000, maxMs: 30_000 };
const error = { code: 'STEP_FAILED', message: 'create: refused', at: '2026-01-01T00:00:00.000Z' };

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, policy))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffDelay(0, policy)).toBe(1_000);
    expect(backoffDelay(10_000, policy)).toBe(30_000);
  });
});

describe('BackoffTable', () => {
  it('holds the same work until the wait is over, then lets it through', () => {
    const table = new BackoffTable(policy);
    const first = table.recordFailure('prod/gold', 'v1', 0, error);
    expect(first).toMatchObject({ failures: 1, nextAttemptAt: 1_000 });
    expect(table.holds('prod/gold', 'v1', 999)).toBe(first);
    expect(table.holds('prod/gold', 'v1', 1_000)).toBeUndefined();
    expect(table.holds('prod/silver', 'v1', 0)).toBeUndefined();
    expect(table.recordFailure('prod/gold', 'v1', 1_000, error)).toMatchObject({
      failures: 2,
      nextAttemptAt: 3_000,
    });
  });

  it('lets changed work through at once and counts its failures afresh', () => {
    const table = new BackoffTable(policy);
    table.recordFailure('prod/gold', 'v1', 0, error);
    table.recordFailure('prod/gold', 'v1', 1_000, error);
    expect(table.holds('prod/gold', 'v2', 1_001)).toBeUndefined();
    expect(table.recordFailure('prod/gold', 'v2', 1_001, error)).toMatchObject({ failures: 1 });
  });

  it('reports the earliest retry and forgets what it is told to', () => {
    const table = new BackoffTable(policy);
    table.recordFailure('prod/a', 'x', 0, error);
    table.recordFailure('prod/b', 'x', 0, error);
    table.recordFailure('prod/b', 'x', 0, error);
    expect(table.nextDue(0)).toBe(1_000);
    expect(table.nextDue(1_000)).toBe(2_000);
    expect(table.nextDue(2_000)).toBeUndefined();
    table.retain(new Set(['prod/b']));
    expect(table.size).toBe(1);
    table.clear('prod/b');
    expect(table.get('prod/b')).toBeUndefined();
  });
});

describe('BackoffTable with a monotonic clock, the wall clock stepped back', () => {
  it('lets the work through once its wait has passed on the monotonic clock', () => {
    let mono = 0;
    const table = new BackoffTable(policy, () => mono);
    const wall = 1_700_000_000_000;
    table.recordFailure('prod/gold', 'v1', wall, error);
    // 500 ms later NTP steps the wall clock an hour back.
    mono = 500;
    expect(table.holds('prod/gold', 'v1', wall - 3_600_000)).toBeDefined();
    expect(table.nextDue(wall - 3_600_000)).toBe(wall - 3_600_000 + 500);
    mono = 1_000;
    expect(table.holds('prod/gold', 'v1', wall - 3_600_000 + 500)).toBeUndefined();
    expect(table.nextDue(wall - 3_600_000 + 500)).toBeUndefined();
  });

  it('still lets it through when the wall clock says the wait is over first', () => {
    const table = new BackoffTable(policy, () => 0);
    table.recordFailure('prod/gold', 'v1', 0, error);
    expect(table.holds('prod/gold', 'v1', 1_000)).toBeUndefined();
  });
});
