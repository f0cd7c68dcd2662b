import { describe, expect, it } from 'vitest';
import { Timers } from './timers.js';

const HOUR = 3_600_000;
const WALL = 1_700_000_000_000;

/** Arms two 'retry' alarms, asked for at the wall times given; resolves with the first to fire. */
async function firstToFire(
  first: { at: number; now: number },
  second: { at: number; now: number },
): Promise<'first' | 'second'> {
  const timers = new Timers();
  try {
    return await new Promise((resolve) => {
      timers.at('retry', first.at, () => resolve('first'), first.now);
      timers.at('retry', second.at, () => resolve('second'), second.now);
    });
  } finally {
    timers.close();
  }
}

describe('Timers: keeping the earliest alarm while NTP steps the wall clock', () => {
  it.each([
    {
      // A 10 s backoff armed, then the wall clock steps an hour ahead and a retry is asked for in 20 ms.
      step: 'ahead',
      first: { at: WALL + 10_000, now: WALL },
      second: { at: WALL + HOUR + 20, now: WALL + HOUR },
      fires: 'second',
    },
    {
      // A retry in 20 ms armed, then the wall clock steps an hour back and a 10 s backoff is asked for.
      step: 'back',
      first: { at: WALL + 20, now: WALL },
      second: { at: WALL - HOUR + 10_000, now: WALL - HOUR },
      fires: 'first',
    },
  ])('the clock stepped an hour $step, the alarm wanted sooner fires first', async (example) => {
    expect(await firstToFire(example.first, example.second)).toBe(example.fires);
  });
});
