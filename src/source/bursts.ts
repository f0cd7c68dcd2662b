/**
 * The longest a burst that never goes quiet is held back, by default: ten quiet periods, and
 * never under 2 s. Only a writer that never stops (a log written into the tree, a generator
 * in a loop) reaches it; a burst whose gaps are all shorter than the debounce (a generator
 * writing one document every 200 ms with the default 300 ms) is reported once quiet, up to
 * this long. A pass it starts early may read a file mid-write: that pass holds the removals
 * of such files (src/daemon/writing.ts), so the cap costs a pass, never an audience.
 */
export function defaultMaxWaitMs(debounceMs: number): number {
  return Math.max(2_000, 10 * debounceMs);
}

export type BurstOptions = {
  /** Quiet time after the last event before a burst is reported. */
  debounceMs: number;
  /** Report a burst that never goes quiet after this long anyway; raised to `debounceMs` at least. */
  maxWaitMs: number;
};

export type Bursts = {
  /** One event of the current burst. */
  add(item: string): void;
  /** Drops the pending burst; nothing is reported after it. */
  close(): void;
};

/**
 * Groups events into bursts: `report` is called with the burst's items, sorted, once no
 * event came for `debounceMs`, or `maxWaitMs` after its first event if it never goes quiet.
 * Timed on performance.now and setTimeout (a clock NTP does not step).
 */
export function collectBursts(report: (items: string[]) => void, options: BurstOptions): Bursts {
  const { debounceMs } = options;
  // A cap shorter than the quiet time would report every burst before it went quiet.
  const maxWaitMs = Math.max(options.maxWaitMs, debounceMs);
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  let closed = false;

  function flush(): void {
    timer = undefined;
    if (closed || pending.size === 0) return;
    const items = [...pending].sort();
    pending.clear();
    report(items);
  }

  return {
    add(item) {
      if (closed) return;
      // On a clock NTP does not step: a wall clock stepped back held a busy burst until it went
      // quiet, one stepped ahead reported it at once.
      if (pending.size === 0) firstAt = performance.now();
      pending.add(item);
      if (timer) clearTimeout(timer);
      const wait = Math.min(debounceMs, Math.max(0, firstAt + maxWaitMs - performance.now()));
      timer = setTimeout(flush, wait);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      pending.clear();
    },
  };
}
