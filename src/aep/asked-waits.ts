import { askedWait } from './retry-policy.js';

/** A wait the service asked for and a call did not take: what it asked, and what is left of it. */
export type AskedWait = {
  /** The sandbox whose call was answered so. */
  sandbox: string;
  /** The answer's Retry-After, in ms. */
  retryAfterMs: number;
  /** What is left of it now, in ms (> 0). */
  leftMs: number;
  /**
   * When it ends, epoch ms on this machine's clock: for messages, and to count what is left from
   * a time read before the lookup (waitLeftFrom); never for timing alone.
   */
  until: number;
};

/**
 * What is left of `wait` from wall time `now`, read before the wait was looked up (a pass reads
 * its time once, then looks up each wait): `leftMs` alone counts from the lookup, so `now + leftMs`
 * fell short of the wait's end by the time between the two reads, and the retry came that much
 * before the Retry-After was over (retry-after-too-long-controller: 3 ms short, under load).
 * Never more than the wait asked for (a wall clock stepped back between the answer and `now`).
 */
export function waitLeftFrom(
  now: number,
  wait: Pick<AskedWait, 'leftMs' | 'retryAfterMs' | 'until'>,
): number {
  return Math.min(Math.max(wait.leftMs, wait.until - now), wait.retryAfterMs);
}

/**
 * Per IMS org, the latest end of a Retry-After too long to wait for (longer than
 * retry.maxRetryAfterMs: the call fails at once rather than hold its caller for minutes),
 * taken in as its answer arrives. Until it ends no call of the org's sandboxes is sent (http.ts
 * holds them: AEP throttles the whole org, and each call sent meanwhile, whatever its sandbox,
 * only earns a 429 of its own; the pages publish no limit nor its scope, and a 503's wait is
 * the same service's), the executor blocks the steps left, and the caller that schedules the
 * work again (the controller's backoff) waits for it. Timed on a monotonic clock: a wall clock
 * stepped by NTP moves no such end.
 */
export class AskedWaits {
  readonly #ends = new Map<
    string,
    { sandbox: string; retryAfterMs: number; endsAt: number; until: number }
  >();

  constructor(
    private readonly maxRetryAfterMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly wallNow: () => number = Date.now,
  ) {}

  /**
   * Takes in an answer of `status` with `retryAfterMs` (its Retry-After, if any) to a call of
   * `sandbox` in org `orgId`: a 429 or 5xx asking for longer than retry.maxRetryAfterMs starts a
   * wait of the org. True when it did.
   */
  answered(orgId: string, sandbox: string, status: number, retryAfterMs: number | undefined): boolean {
    if (status !== 429 && status < 500) return false;
    const asked = askedWait(retryAfterMs);
    if (asked === undefined || asked <= this.maxRetryAfterMs) return false;
    const endsAt = this.now() + asked;
    const known = this.#ends.get(orgId);
    if (known === undefined || endsAt > known.endsAt)
      this.#ends.set(orgId, { sandbox, retryAfterMs: asked, endsAt, until: this.wallNow() + asked });
    return true;
  }

  /** The wait still asked of org `orgId`, if any. */
  of(orgId: string): AskedWait | undefined {
    const known = this.#ends.get(orgId);
    if (known === undefined) return undefined;
    const leftMs = known.endsAt - this.now();
    if (leftMs > 0)
      return { sandbox: known.sandbox, retryAfterMs: known.retryAfterMs, leftMs, until: known.until };
    this.#ends.delete(orgId);
    return undefined;
  }
}

/**
 * Why nothing more is sent to `sandbox` for now, in the words every message of it uses (the
 * call refused before it left, the step blocked).
 */
export function heldSandboxText(sandbox: string, wait: AskedWait): string {
  const asked = `AEP asked for a Retry-After of ${Math.ceil(wait.retryAfterMs / 1000)} s in sandbox "${wait.sandbox}"`;
  const until = new Date(wait.until).toISOString();
  if (wait.sandbox === sandbox)
    return `${asked} (longer than retry.maxRetryAfterMs, so a call gave up on it): every call of the sandbox is held until ${until}`;
  return `${asked}, of the same IMS org as "${sandbox}" (longer than retry.maxRetryAfterMs, so a call gave up on it; AEP throttles the whole org): every call of the org's sandboxes is held until ${until}`;
}
