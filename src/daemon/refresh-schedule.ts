import { backoffDelay, type BackoffPolicy } from './backoff.js';

/**
 * When the controller reads the audiences back from the service (`--refresh-interval`):
 * at the first pass, then once an interval has passed since the last success; a failed
 * refresh is tried again on the backoff schedule, not an interval later.
 */
export class RefreshSchedule {
  readonly intervalMs: number;
  readonly #backoff: BackoffPolicy;
  /** Clock ms of the last successful refresh. */
  #lastAt: number | undefined;
  #failures = 0;

  /** `intervalMs` 0: never. */
  constructor(intervalMs: number, backoff: BackoffPolicy) {
    this.intervalMs = Math.max(0, intervalMs);
    this.#backoff = backoff;
  }

  due(now: number): boolean {
    if (this.intervalMs === 0) return false;
    return this.#lastAt === undefined || now - this.#lastAt >= this.intervalMs;
  }

  /** Records how a refresh went; returns when to try again after a failure. */
  finished(succeeded: boolean, now: number): number | undefined {
    if (succeeded) {
      this.#lastAt = now;
      this.#failures = 0;
      return undefined;
    }
    this.#failures += 1;
    return now + backoffDelay(this.#failures, this.#backoff);
  }
}
