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
  /** Monotonic ms of it, with a monotonic clock. */
  #lastMono: number | undefined;
  #failures = 0;
  /**
   * A refresh left drift it could have corrected: clock ms from which a pass reads again
   * (again()), the retry of its correction; undefined when none is asked for.
   */
  #againAt: number | undefined;
  readonly #monotonic: (() => number) | undefined;

  /**
   * `intervalMs` 0: never. `monotonic`: ms on a clock that does not jump; with it an interval
   * has passed when either clock says so, so a wall clock stepped back by NTP does not put
   * off the next refresh by as much.
   */
  constructor(intervalMs: number, backoff: BackoffPolicy, monotonic?: () => number) {
    this.intervalMs = Math.max(0, intervalMs);
    this.#backoff = backoff;
    this.#monotonic = monotonic;
  }

  due(now: number): boolean {
    if (this.intervalMs === 0) return false;
    if (this.#lastAt === undefined) return true;
    if (this.#againAt !== undefined && now >= this.#againAt) return true;
    const steady =
      this.#monotonic && this.#lastMono !== undefined ? this.#monotonic() - this.#lastMono : -Infinity;
    return Math.max(now - this.#lastAt, steady) >= this.intervalMs;
  }

  /**
   * The last refresh found drift its pass could correct and did not (a PATCH or a create the
   * service refused): the pass that retries the correction, at `at` (its backoff's expiry; now
   * when nothing holds it back), reads the audiences back again. Planned from the records, that
   * pass found nothing to send and called the audience in sync while AEP still held the drift
   * (review 38s, S-1). Not the passes before it: a resync or a commit's pass while the
   * correction backs off sends nothing for it, and read every audience back for nothing, at
   * every pass for as long as AEP refused (review 38v, M-2). Call after finished().
   */
  again(at: number): void {
    if (this.intervalMs > 0) this.#againAt = at;
  }

  /**
   * Records how a refresh went; returns when to try again after a failure: on the backoff, or
   * (`atLeastMs`, the wait the service asked of a sandbox not read) not before that wait ends.
   */
  finished(succeeded: boolean, now: number, atLeastMs = 0): number | undefined {
    if (succeeded) {
      this.#againAt = undefined;
      this.#lastAt = now;
      this.#lastMono = this.#monotonic?.();
      this.#failures = 0;
      return undefined;
    }
    this.#failures += 1;
    return now + Math.max(backoffDelay(this.#failures, this.#backoff), atLeastMs);
  }
}
