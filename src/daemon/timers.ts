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
  readonly #intervals = new Map<string, NodeJS.Timeout>();
  readonly #alarms = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #closed = false;

  /** Calls `fn` every `ms` from now on; replaces a timer of the same name. */
  every(name: string, ms: number, fn: () => void): void {
    if (this.#closed) return;
    clearInterval(this.#intervals.get(name));
    this.#intervals.set(name, setInterval(fn, clampDelay(ms)));
  }

  /** Calls `fn` once at epoch ms `at`, unless an alarm of that name is already due earlier. */
  at(name: string, at: number, fn: () => void, now: number = Date.now()): void {
    if (this.#closed) return;
    const current = this.#alarms.get(name);
    if (current && current.at <= at) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(
      () => {
        this.#alarms.delete(name);
        fn();
      },
      clampDelay(at - now),
    );
    this.#alarms.set(name, { at, timer });
  }

  /** When the named alarm fires, if armed. */
  alarm(name: string): number | undefined {
    return this.#alarms.get(name)?.at;
  }

  cancel(name: string): void {
    clearTimeout(this.#alarms.get(name)?.timer);
    this.#alarms.delete(name);
  }

  /** Stops everything; later calls arm nothing. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#intervals.values()) clearInterval(timer);
    for (const { timer } of this.#alarms.values()) clearTimeout(timer);
    this.#intervals.clear();
    this.#alarms.clear();
  }
}
