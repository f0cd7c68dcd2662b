import { waitLeftFrom, type AskedWait } from '../aep/asked-waits.js';
import { AepAuthError, AepError } from '../aep/errors.js';
import { MAX_ASKED_WAIT_MS } from './audiences.js';

/** How many causes deep a failed pass's error is searched for the call that failed it. */
const MAX_DEPTH = 8;

/** Who asked for the wait that failed a pass: AEP's API (of a sandbox), or IMS (of a client's token). */
export type PassFailureWait =
  { asker: 'AEP'; sandbox: string; leftMs: number } | { asker: 'IMS'; leftMs: number };

/**
 * The wait left from wall time `now` (ms, up to a day) that the service asked of the sandbox whose call failed a pass
 * as a whole (an adoption's lookup answered 429 or 503 with a Retry-After past
 * retry.maxRetryAfterMs, or a call held for such a wait: AEP_HELD), or that IMS asked of the
 * token request that failed it (a 429 or 5xx with such a Retry-After: ims-token.ts asks nothing
 * before it is over), found along the error's causes; undefined when there is none. The pass is
 * not retried before it is over: sooner, its calls would only be held again (or, were they not,
 * sent into the throttle).
 */
export function passFailureWaitMs(
  error: unknown,
  now: number,
  askedWait: (sandbox: string) => Pick<AskedWait, 'leftMs' | 'retryAfterMs' | 'until'> | undefined,
): PassFailureWait | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH && cause instanceof Error; depth += 1) {
    if (cause instanceof AepAuthError && cause.retryAfterMs !== undefined)
      return { asker: 'IMS', leftMs: Math.min(cause.retryAfterMs, MAX_ASKED_WAIT_MS) };
    if (cause instanceof AepError && cause.sandbox !== undefined) {
      const wait = askedWait(cause.sandbox);
      if (wait !== undefined)
        return {
          asker: 'AEP',
          sandbox: cause.sandbox,
          leftMs: Math.min(waitLeftFrom(now, wait), MAX_ASKED_WAIT_MS),
        };
    }
    cause = cause.cause;
  }
  return undefined;
}
