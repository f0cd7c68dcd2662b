/** setTimeout takes at most 2^31 - 1 ms; longer waits would fire at once. */
const MAX_DELAY_MS = 2_147_483_647;

function clampDelay(ms: number): number {
  return Math.min(MAX_DELAY_MS, Math.max(0, Math.round(ms)));
}

/**
 * The reconcile loop's clocks: named repeating timers (poll, resync) and named
 * one-shot alarms (retry, requeue) that keep the earliest time asked for.
 */
export class Timers {
  readonly #intervals = new Map<string, { timer: NodeJS.Timeout; ms: number; lastAt: number }>();
  /**
   * Each alarm's `due` time on the monotonic clock, by which alarms are compared, and the epoch
   * time it was asked for (`at`, what /status shows).
   */
  readonly #alarms = new Map<string, { due: number; at: number; timer: NodeJS.Timeout }>();
  readonly #monotonic: () => number;
  #closed = false;

  /**
   * `monotonic`: ms on a clock NTP does not step (default performance.now). Two alarms asked
   * for at different wall times are compared on it: compared by their epoch times, one asked
   * for after a step ahead looked later than an earlier one and was dropped, and after a step
   * back a later one replaced an earlier one, either delaying a retry by up to its backoff.
   */
  constructor(monotonic: () => number = () => performance.now()) {
    this.#monotonic = monotonic;
  }

  /** Calls `fn` every `ms` from now on; replaces a timer of the same name. */
  every(name: string, ms: number, fn: () => void): void {
    if (this.#closed) return;
    clearInterval(this.#intervals.get(name)?.timer);
    const delay = clampDelay(ms);
    const entry = {
      timer: setInterval(() => {
        entry.lastAt = this.#monotonic();
        fn();
      }, delay),
      ms: delay,
      lastAt: this.#monotonic(),
    };
    this.#intervals.set(name, entry);
  }

  /** Milliseconds until the repeating timer of that name next ticks (0 if overdue), if there is one. */
  nextTickIn(name: string): number | undefined {
    const entry = this.#intervals.get(name);
    return entry && Math.max(0, entry.lastAt + entry.ms - this.#monotonic());
  }

  /**
   * Calls `fn` once at epoch ms `at` (asked for at epoch ms `now`), unless an alarm of that
   * name is already due earlier.
   */
  at(name: string, at: number, fn: () => void, now: number = Date.now()): void {
    if (this.#closed) return;
    const due = this.#monotonic() + (at - now);
    const current = this.#alarms.get(name);
    if (current && current.due <= due) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(
      () => {
        this.#alarms.delete(name);
        fn();
      },
      clampDelay(at - now),
    );
    this.#alarms.set(name, { due, at, timer });
  }

  /** The epoch ms the alarm of that name still to ring was asked for, if one is. */
  alarmAt(name: string): number | undefined {
    return this.#alarms.get(name)?.at;
  }

  cancel(name: string): void {
    clearTimeout(this.#alarms.get(name)?.timer);
    this.#alarms.delete(name);
  }

  /** Stops everything; later calls arm nothing. */
  close(): void {
    this.#closed = true;
    for (const { timer } of this.#intervals.values()) clearInterval(timer);
    for (const { timer } of this.#alarms.values()) clearTimeout(timer);
    this.#intervals.clear();
    this.#alarms.clear();
  }
}
