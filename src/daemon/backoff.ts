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

/**
 * Failures per key (an audience `sandbox/key`, or the whole pass). A failure of the
 * same work doubles the wait; different work (the manifest changed) starts over, so a
 * fix pushed to git is tried at once instead of after the backoff.
 */
export class BackoffTable {
  readonly #policy: BackoffPolicy;
  readonly #entries = new Map<string, BackoffEntry>();

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF) {
    this.#policy = policy;
  }

  recordFailure(key: string, fingerprint: string, now: number, error: ErrorInfo): BackoffEntry {
    const previous = this.#entries.get(key);
    const failures = previous?.fingerprint === fingerprint ? previous.failures + 1 : 1;
    const entry = {
      failures,
      fingerprint,
      nextAttemptAt: now + backoffDelay(failures, this.#policy),
      lastError: error,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }

  get(key: string): BackoffEntry | undefined {
    return this.#entries.get(key);
  }

  /** The entry holding back this work now, if any. */
  holds(key: string, fingerprint: string, now: number): BackoffEntry | undefined {
    const entry = this.#entries.get(key);
    return entry && entry.fingerprint === fingerprint && now < entry.nextAttemptAt ? entry : undefined;
  }

  /** Forgets keys not in `keys` (audiences now in sync, or removed). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#entries.keys()) if (!keys.has(key)) this.#entries.delete(key);
  }

  /** The earliest retry time still in the future. */
  nextDue(now: number): number | undefined {
    let next: number | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.nextAttemptAt > now && (next === undefined || entry.nextAttemptAt < next))
        next = entry.nextAttemptAt;
    }
    return next;
  }

  get size(): number {
    return this.#entries.size;
  }
}
