import type { ResolvedRateLimit } from './settings.js';

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number; sendRetryAfter: boolean };

type Bucket = { tokens: number; updatedAtMs: number };

/** What the buckets need of the limit; the form of a Retry-After is the gate's (api-gate.ts). */
type BucketLimit = Pick<ResolvedRateLimit, 'perSecond' | 'burst' | 'retryAfter'>;

/** One token bucket per org, as a gateway throttles per organization. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private limit: BucketLimit | null) {}

  /** New limits start from full buckets, so a test that changes them gets a clean slate. */
  configure(limit: BucketLimit | null): void {
    this.limit = limit;
    this.buckets.clear();
  }

  take(key: string, nowMs: number): Admission {
    const limit = this.limit;
    if (!limit) return { ok: true };
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, updatedAtMs: nowMs };
      this.buckets.set(key, bucket);
    }
    const refill = ((nowMs - bucket.updatedAtMs) / 1000) * limit.perSecond;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + refill);
    bucket.updatedAtMs = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    const waitSeconds = limit.perSecond > 0 ? (1 - bucket.tokens) / limit.perSecond : 60;
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)),
      sendRetryAfter: limit.retryAfter,
    };
  }
}
