import { AepError } from './errors.js';

/** A wait the service asked for and a call did not take: what it asked, and what is left of it. */
export type AskedWait = {
  /** The answer's Retry-After, in ms. */
  retryAfterMs: number;
  /** What is left of it now, in ms (> 0). */
  leftMs: number;
};

/**
 * Per sandbox, the latest end of a Retry-After a call gave up on (longer than
 * retry.maxRetryAfterMs: the call fails at once rather than hold its caller for minutes). The
 * caller that schedules the work again (the controller's backoff) reads it, so that the next
 * attempt is not sent sooner than the service asked. On a monotonic clock: a wall clock stepped
 * by NTP moves no such end.
 */
export class AskedWaits {
  readonly #ends = new Map<string, { retryAfterMs: number; endsAt: number }>();

  constructor(
    private readonly maxRetryAfterMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes in a call's failure: a 429 or 5xx whose Retry-After was too long to wait for. */
  failed(sandbox: string, error: unknown): void {
    if (!(error instanceof AepError)) return;
    const { status, retryAfterMs } = error;
    if (status === undefined || (status !== 429 && status < 500)) return;
    if (retryAfterMs === undefined || retryAfterMs <= this.maxRetryAfterMs) return;
    const endsAt = this.now() + retryAfterMs;
    const known = this.#ends.get(sandbox);
    if (known === undefined || endsAt > known.endsAt) this.#ends.set(sandbox, { retryAfterMs, endsAt });
  }

  /** The wait still asked for in `sandbox`, if any. */
  of(sandbox: string): AskedWait | undefined {
    const known = this.#ends.get(sandbox);
    if (known === undefined) return undefined;
    const leftMs = known.endsAt - this.now();
    if (leftMs > 0) return { retryAfterMs: known.retryAfterMs, leftMs };
    this.#ends.delete(sandbox);
    return undefined;
  }
}
