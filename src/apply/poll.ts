import type { Clock, PollSchedule } from './types.js';

export type PollOutcome<T> = { done: true; value: T } | { done: false; last: T | undefined };

/** Calls `read` with growing pauses until `isDone`, or the schedule's time is up. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  isDone: (value: T) => boolean,
  schedule: PollSchedule,
  clock: Clock,
  signal?: AbortSignal,
): Promise<PollOutcome<T>> {
  const deadline = clock.now() + schedule.timeoutMs;
  let wait = schedule.firstMs;
  let last: T | undefined;
  for (;;) {
    await clock.sleep(wait, signal);
    last = await read();
    if (isDone(last)) return { done: true, value: last };
    if (clock.now() + wait > deadline) return { done: false, last };
    wait = Math.min(schedule.maxMs, Math.round(wait * schedule.factor));
  }
}
