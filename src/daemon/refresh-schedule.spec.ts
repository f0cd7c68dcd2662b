import { describe, expect, it } from 'vitest';
import { RefreshSchedule } from './refresh-schedule.js';

const backoff = { baseMs: 1_000, maxMs: 30_000 };

describe('RefreshSchedule', () => {
  it('is due an interval after the last success, on the wall clock', () => {
    const schedule = new RefreshSchedule(60_000, backoff);
    expect(schedule.due(0)).toBe(true);
    schedule.finished(true, 0);
    expect(schedule.due(59_999)).toBe(false);
    expect(schedule.due(60_000)).toBe(true);
    expect(schedule.finished(false, 60_000)).toBe(61_000);
  });

  it('is due an interval after the last success on the monotonic clock, the wall clock stepped back', () => {
    let mono = 0;
    const schedule = new RefreshSchedule(60_000, backoff, () => mono);
    const wall = 1_700_000_000_000;
    schedule.finished(true, wall);
    // A minute passes, in which NTP steps the wall clock an hour back.
    mono = 59_999;
    expect(schedule.due(wall - 3_600_000 + 59_999)).toBe(false);
    mono = 60_000;
    expect(schedule.due(wall - 3_600_000 + 60_000)).toBe(true);
  });

  it('is due at the next pass after again(), until a refresh succeeds; never with interval 0', () => {
    const schedule = new RefreshSchedule(60_000, backoff);
    schedule.finished(true, 0);
    schedule.again(1);
    expect(schedule.due(1)).toBe(true);
    schedule.finished(true, 1);
    expect(schedule.due(2)).toBe(false);
    const never = new RefreshSchedule(0, backoff);
    never.again(0);
    expect(never.due(0)).toBe(false);
  });

  // Review 38v, M-2: the passes before the correction's retry do not read back.
  it('is due from the time again() names, not before', () => {
    const schedule = new RefreshSchedule(60_000, backoff);
    schedule.finished(true, 0);
    schedule.again(30_000);
    expect([schedule.due(1), schedule.due(29_999), schedule.due(30_000)]).toEqual([false, false, true]);
  });
});
