import { elapsedClock } from './clock.js';
import type { Clock, PollSchedule } from './types.js';

export type PollOutcome<T> = { done: true; value: T } | { done: false; last: T | undefined };

/** Aborted when either of `a` and `b` is (either may be absent); undefined when both are. */
export function eitherSignal(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): AbortSignal | undefined {
  return a && b ? AbortSignal.any([a, b]) : (a ?? b);
}

/**
 * Calls `read` with growing pauses until `isDone`, or the schedule's time is up, or
 * `stopWaiting` fires (then it returns what it has, as for a timeout).
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  isDone: (value: T) => boolean,
  schedule: PollSchedule,
  clock: Clock,
  signal?: AbortSignal,
  stopWaiting?: AbortSignal,
): Promise<PollOutcome<T>> {
  // On a clock that does not jump: a wall clock stepped forward would end the poll at once.
  const tick = elapsedClock(clock);
  const deadline = tick() + schedule.timeoutMs;
  const pause = eitherSignal(signal, stopWaiting);
  let wait = schedule.firstMs;
  let last: T | undefined;
  for (;;) {
    if (stopWaiting?.aborted) return { done: false, last };
    try {
      await clock.sleep(wait, pause);
    } catch (error) {
      if (stopWaiting?.aborted && !signal?.aborted) return { done: false, last };
      throw error;
    }
    last = await read();
    if (isDone(last)) return { done: true, value: last };
    if (tick() + wait > deadline) return { done: false, last };
    wait = Math.min(schedule.maxMs, Math.round(wait * schedule.factor));
  }
}
