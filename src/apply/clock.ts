import { setTimeout as delay } from 'node:timers/promises';
import type { Clock, PollSchedule } from './types.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : {});
  },
};

/** Operations usually finish within seconds; runs within minutes to hours. */
export const DEFAULT_OPERATION_POLL: PollSchedule = {
  firstMs: 1_000,
  factor: 1.5,
  maxMs: 15_000,
  timeoutMs: 15 * 60_000,
};
export const DEFAULT_RUN_POLL: PollSchedule = {
  firstMs: 2_000,
  factor: 1.5,
  maxMs: 30_000,
  timeoutMs: 10 * 60_000,
};

export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** ms for durations and deadlines: `clock`'s monotonic time, or its `now` if it has none. */
export function elapsedClock(clock: Clock): () => number {
  return () => clock.monotonic?.() ?? clock.now();
}
