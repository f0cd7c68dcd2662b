import PQueue from 'p-queue';
import { abortReason, sleep, withAbort } from './abort.js';
import { DEFAULT_BUDGET, MAX_BUDGET_REQUESTS, type BudgetSettings } from './budget-limits.js';

// Where they were: the configuration's reader takes them from budget-limits.ts, without p-queue.
export { DEFAULT_BUDGET, type BudgetSettings };

/** `now`: ms on any clock that only moves forward; the budget measures durations, never dates. */
export type Clock = { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };

/**
 * Monotonic (performance.now): a wall clock stepped back by NTP would hold every request
 * until it caught up with the recorded starts; one stepped forward would open the window.
 */
export const systemClock: Clock = { now: () => performance.now(), sleep };

/**
 * The start times of the last `limit` requests, in a ring. A new request may start once the
 * oldest of them is `intervalMs` old, so no window of `intervalMs` ever holds more than `limit`.
 */
export class SlidingWindow {
  private readonly starts: number[];
  private next = 0;
  private filled = 0;

  constructor(
    readonly limit: number,
    readonly intervalMs: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a whole number >= 1');
    this.starts = new Array<number>(limit).fill(0);
  }

  /** ms until a request may start at `now` (0: now). */
  delay(now: number): number {
    if (this.filled < this.limit) return 0;
    const oldest = this.starts[this.next] ?? 0;
    return Math.max(0, oldest + this.intervalMs - now);
  }

  record(now: number): void {
    this.starts[this.next] = now;
    this.next = (this.next + 1) % this.limit;
    this.filled = Math.min(this.filled + 1, this.limit);
  }
}

/** When a request was let through (its recorded start, on the budget's clock) and how long it waited. */
export type Admission = { at: number; waitedMs: number };

export type BudgetStats = {
  /** Requests admitted (attempts, including retries). */
  admitted: number;
  /** Total time attempts waited for the window or a pause, in ms. */
  rateWaitMs: number;
  /** Total time calls waited for a concurrency slot, in ms. */
  concurrencyWaitMs: number;
  pauses: number;
  inFlight: number;
  queued: number;
};

/** The calls of one signal waiting for a slot, and the one listener that cancels them. */
type Waiting = { cancels: Set<(reason: Error) => void>; onAbort: () => void };

/**
 * The gate of one sandbox. A call runs inside `run` (a concurrency slot, held through its
 * retries so a struggling service does not get more parallel work); each of its HTTP
 * attempts passes `admit` (the sliding window and any pause) right before it is sent.
 */
export class RequestBudget {
  readonly settings: BudgetSettings;
  private readonly window: SlidingWindow;
  private readonly queue: PQueue;
  private pausedUntil = 0;
  private turn: Promise<void> = Promise.resolve();
  private waiters = 0;
  private readonly counts = { admitted: 0, rateWaitMs: 0, concurrencyWaitMs: 0, pauses: 0 };
  /**
   * Calls waiting for a slot, by the signal that cancels them. Handing the signal to
   * p-queue added one abort listener per waiting call: a pass that fans out on one signal
   * (bulk-get's lookups, the steps of a pass) put dozens on it, and Node printed a
   * MaxListenersExceededWarning. One listener per signal cancels them all; it is removed
   * when the last of them starts.
   */
  private readonly waiting = new Map<AbortSignal, Waiting>();

  constructor(
    settings: Partial<BudgetSettings> = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.settings = { ...DEFAULT_BUDGET, ...settings };
    checkBudget(this.settings);
    this.window = new SlidingWindow(this.settings.requests, this.settings.intervalMs);
    this.queue = new PQueue({ concurrency: this.settings.concurrency });
  }

  /**
   * Runs `fn` in a concurrency slot; rejects without running it if `signal` aborts first.
   * Once running, `fn` heeds the signal itself (got, admit and the retry sleeps take it)
   * and keeps its slot until it has ended.
   */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const queuedAt = this.clock.now();
    const slot = (): Promise<T> => {
      this.counts.concurrencyWaitMs += this.clock.now() - queuedAt;
      return fn();
    };
    if (signal === undefined) return this.queue.add(slot);
    if (signal.aborted) throw abortReason(signal);
    return new Promise<T>((resolve, reject) => {
      let cancelled = false;
      const leave = this.waitFor(signal, (reason) => {
        cancelled = true;
        reject(reason);
      });
      // A call cancelled while it waited is skipped when its turn comes: its slot goes
      // to the next at once.
      void this.queue.add(async () => {
        leave();
        if (cancelled) return;
        try {
          resolve(await slot());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  /** Registers `cancel` until the returned function is called (when the call starts). */
  private waitFor(signal: AbortSignal, cancel: (reason: Error) => void): () => void {
    let entry = this.waiting.get(signal);
    if (entry === undefined) {
      const cancels = new Set<(reason: Error) => void>();
      const onAbort = (): void => {
        this.waiting.delete(signal);
        for (const each of cancels) each(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry = { cancels, onAbort };
      this.waiting.set(signal, entry);
    }
    const mine = entry;
    mine.cancels.add(cancel);
    return () => {
      mine.cancels.delete(cancel);
      if (mine.cancels.size > 0 || this.waiting.get(signal) !== mine) return;
      signal.removeEventListener('abort', mine.onAbort);
      this.waiting.delete(signal);
    };
  }

  /**
   * Waits until a request may start (no pause, room in the window), records its start and
   * returns when that was and how long it waited, in ms. Waiters are admitted in arrival order.
   */
  async admit(signal?: AbortSignal): Promise<Admission> {
    const arrivedAt = this.clock.now();
    const contended = this.waiters > 0;
    this.waiters += 1;
    const mine = this.turn.then(async () => this.waitForRoom(signal));
    this.turn = mine.then(
      () => undefined,
      () => undefined,
    );
    let room: { at: number; slept: boolean };
    try {
      room = await withAbort(mine, signal);
    } finally {
      this.waiters -= 1;
    }
    // Time spent behind others or asleep; not the microtasks of an uncontended admission.
    const waitedMs = contended || room.slept ? room.at - arrivedAt : 0;
    this.counts.admitted += 1;
    this.counts.rateWaitMs += waitedMs;
    return { at: room.at, waitedMs };
  }

  /** Holds every request of the sandbox for `ms` (a 429's Retry-After). Never shortens a pause. */
  pause(ms: number): void {
    const until = this.clock.now() + Math.max(0, ms);
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.counts.pauses += 1;
  }

  /** ms left of the current pause. */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  stats(): BudgetStats {
    return { ...this.counts, inFlight: this.queue.pending, queued: this.queue.size };
  }

  /** Resolves with the start recorded, and whether it had to sleep for it. */
  private async waitForRoom(signal: AbortSignal | undefined): Promise<{ at: number; slept: boolean }> {
    let slept = false;
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const now = this.clock.now();
      const wait = Math.max(this.pausedUntil - now, this.window.delay(now));
      if (wait <= 0) {
        this.window.record(now);
        return { at: now, slept };
      }
      slept = true;
      await this.clock.sleep(wait, signal);
    }
  }
}

export function checkBudget(settings: BudgetSettings): void {
  const { requests, intervalMs, concurrency } = settings;
  if (!Number.isInteger(requests) || requests < 1 || requests > MAX_BUDGET_REQUESTS)
    throw new RangeError(`budget.requests must be a whole number from 1 to ${MAX_BUDGET_REQUESTS}`);
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError('budget.intervalMs must be > 0');
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError('budget.concurrency must be a whole number >= 1');
  }
}

/** One RequestBudget per sandbox, created on first use. */
export class RequestBudgets {
  private readonly budgets = new Map<string, RequestBudget>();
  /** Until when (this.clock) each group's sandboxes are paused (pauseGroup). */
  private readonly groupPausedUntil = new Map<string, number>();

  constructor(
    private readonly settingsFor: (sandbox: string) => Partial<BudgetSettings> | undefined,
    private readonly clock: Clock = systemClock,
    /** The group a sandbox's calls share a throttle with (its IMS org); default its own. */
    private readonly groupOf: (sandbox: string) => string = (sandbox) => sandbox,
  ) {}

  for(sandbox: string): RequestBudget {
    let budget = this.budgets.get(sandbox);
    if (!budget) {
      budget = new RequestBudget(this.settingsFor(sandbox) ?? {}, this.clock);
      this.budgets.set(sandbox, budget);
      // A sandbox first called during its group's pause waits it out as the others do.
      const left = (this.groupPausedUntil.get(this.groupOf(sandbox)) ?? 0) - this.clock.now();
      if (left > 0) budget.pause(left);
    }
    return budget;
  }

  /**
   * Holds every request of the group's sandboxes for `ms`, those not called yet included: a
   * throttle answered in one sandbox is its org's (the long hold is too: asked-waits.ts).
   */
  pauseGroup(group: string, ms: number): void {
    const until = this.clock.now() + ms;
    if (until > (this.groupPausedUntil.get(group) ?? 0)) this.groupPausedUntil.set(group, until);
    for (const [sandbox, budget] of this.budgets) if (this.groupOf(sandbox) === group) budget.pause(ms);
  }

  entries(): IterableIterator<[string, RequestBudget]> {
    return this.budgets.entries();
  }
}
