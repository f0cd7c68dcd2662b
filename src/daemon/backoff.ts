import type { ErrorInfo } from './types.js';

export type BackoffPolicy = {
  /** Wait after the first failure, in ms. Default 10 000. */
  baseMs: number;
  /** Cap of the wait, in ms. Default 600 000 (10 minutes). */
  maxMs: number;
};

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 600_000 };

export type BackoffEntry = {
  /** Consecutive failures of the same work. */
  failures: number;
  /** What was attempted (see `stepsFingerprint`): other work is not held back. */
  fingerprint: string;
  /** Epoch ms before which the same work is not attempted again. */
  nextAttemptAt: number;
  lastError: ErrorInfo;
};

/** base, 2 x base, 4 x base, ... capped at max. */
export function backoffDelay(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}

/** An entry, its wait (ms) and, with a monotonic clock, that clock's time of its failure. */
type Held = { entry: BackoffEntry; waitMs: number; failedAt: number | undefined };

/**
 * Failures per key (an audience `sandbox/key`, or the whole pass). A failure of the
 * same work doubles the wait; different work (the manifest changed) starts over, so a
 * fix pushed to git is tried at once instead of after the backoff.
 */
export class BackoffTable {
  readonly #policy: BackoffPolicy;
  readonly #entries = new Map<string, Held>();
  readonly #monotonic: (() => number) | undefined;

  /**
   * `monotonic`: ms on a clock that does not jump (the reconciler's Clock.monotonic). With it
   * a wait ends when either clock says it has passed: a wall clock stepped back by NTP does
   * not hold work back longer than its backoff.
   */
  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF, monotonic?: () => number) {
    this.#policy = policy;
    this.#monotonic = monotonic;
  }

  /**
   * `atLeastMs`: a wait the service asked for (a Retry-After the client did not wait for): the
   * work is held for it when it is longer than the backoff, --backoff-max notwithstanding.
   */
  recordFailure(
    key: string,
    fingerprint: string,
    now: number,
    error: ErrorInfo,
    atLeastMs = 0,
  ): BackoffEntry {
    const previous = this.#entries.get(key)?.entry;
    const failures = previous?.fingerprint === fingerprint ? previous.failures + 1 : 1;
    const waitMs = Math.max(backoffDelay(failures, this.#policy), atLeastMs);
    const entry = { failures, fingerprint, nextAttemptAt: now + waitMs, lastError: error };
    this.#entries.set(key, { entry, waitMs, failedAt: this.#monotonic?.() });
    return entry;
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }

  /** ms an entry still holds its work at wall time `now` (<= 0: no longer). */
  #remaining({ entry, waitMs, failedAt }: Held, now: number): number {
    const left = entry.nextAttemptAt - now;
    if (failedAt === undefined || !this.#monotonic) return left;
    return Math.min(left, waitMs - (this.#monotonic() - failedAt));
  }

  get(key: string): BackoffEntry | undefined {
    return this.#entries.get(key)?.entry;
  }

  /** The entry holding back this work now, if any. */
  holds(key: string, fingerprint: string, now: number): BackoffEntry | undefined {
    const held = this.#entries.get(key);
    if (held?.entry.fingerprint !== fingerprint) return undefined;
    return this.#remaining(held, now) > 0 ? held.entry : undefined;
  }

  /** Forgets keys not in `keys` (audiences now in sync, or removed). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#entries.keys()) if (!keys.has(key)) this.#entries.delete(key);
  }

  /** The earliest retry time still in the future. */
  nextDue(now: number): number | undefined {
    let next: number | undefined;
    for (const held of this.#entries.values()) {
      const left = this.#remaining(held, now);
      if (left > 0 && (next === undefined || now + left < next)) next = now + left;
    }
    return next;
  }

  get size(): number {
    return this.#entries.size;
  }
}
