import { describe, expect, it } from 'vitest';
import { pollUntil } from './poll.js';
import type { Clock, PollSchedule } from './types.js';

/**
 * A clock whose sleeps return at once and move both its times by the time slept; its wall
 * time (`now`) is stepped by `stepMs` during the first sleep, as NTP or a resumed VM does.
 */
function steppedClock(stepMs: number): Clock & { sleeps: number } {
  let wall = 1_700_000_000_000;
  let mono = 5_000;
  const clock = {
    sleeps: 0,
    now: () => wall,
    monotonic: () => mono,
    sleep: async (ms: number) => {
      clock.sleeps += 1;
      wall += ms + (clock.sleeps === 1 ? stepMs : 0);
      mono += ms;
      await Promise.resolve();
    },
  };
  return clock;
}

const schedule: PollSchedule = { firstMs: 1_000, factor: 1, maxMs: 1_000, timeoutMs: 10_000 };

describe('pollUntil with a wall clock that jumps', () => {
  it('keeps polling after the wall clock is stepped an hour forward', async () => {
    const clock = steppedClock(3_600_000);
    let reads = 0;
    const outcome = await pollUntil(
      () => Promise.resolve((reads += 1)),
      (value) => value === 4,
      schedule,
      clock,
    );
    expect(outcome).toEqual({ done: true, value: 4 });
  });

  it('gives up on time after the wall clock is stepped an hour back', async () => {
    const clock = steppedClock(-3_600_000);
    let reads = 0;
    const outcome = await pollUntil(
      () => Promise.resolve((reads += 1)),
      () => false,
      schedule,
      clock,
    );
    // 1 s apart within 10 s: the eleventh read would be due after the deadline.
    expect(outcome).toEqual({ done: false, last: 10 });
  });
});
