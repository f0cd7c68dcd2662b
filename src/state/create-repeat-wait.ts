import { epochMsOf } from './instant.js';
import { MAX_CLOCK_OFFSET_SECONDS } from './own-creators.js';
import { CREATE_SKEW_SECONDS, createBegan } from './create-window.js';
import type { AudienceRecord } from './schema.js';

// When a create whose earlier POST may still land may be sent again: the one rule the apply's
// hold (apply/steps/create-hold.ts) and the plan's reason for such a create (plan/resume-create.ts)
// both read from the record, so that the plan never tells another time than the apply holds to.

/**
 * How long after a POST the service may take to show the create it accepted: the longest the
 * apply waits for a create's operation (DEFAULT_OPERATION_POLL; CREATE_GRACE_SECONDS).
 */
export const CREATE_LANDS_WITHIN_MS = 15 * 60_000;

/**
 * `postMs`: when the latest POST of the create was sent; `fromMs`: when it may be sent again,
 * CREATE_LANDS_WITHIN_MS later (and, in a local clock, the margin two machines' clocks may differ
 * by, CREATE_SKEW_SECONDS). Both in AEP's clock when `clock` is `aep`, else in the clock of the
 * machine that wrote the record, moved by `offsetNow` (AEP's clock minus this machine's, measured
 * now) when known.
 */
export type RepeatWait = { postMs: number; fromMs: number; clock: 'aep' | 'local' };

/**
 * When the latest POST of `record`'s create was sent and when it may be sent again: the intent's
 * bound or a repeat's (pendingCreate.repeated). Undefined when the record shows no time at all.
 */
export function repeatWait(record: AudienceRecord, offsetNow: number | undefined): RepeatWait | undefined {
  const post = lastPost(record, offsetNow);
  if (post === undefined) return undefined;
  const margin = post.clock === 'local' ? CREATE_SKEW_SECONDS * 1000 : 0;
  return { postMs: post.ms, fromMs: post.ms + CREATE_LANDS_WITHIN_MS + margin, clock: post.clock };
}

/**
 * What a record for which repeatWait finds no time shows for its create's POST, as the apply's
 * hold and the plan both say it: the unreadable value itself is not repeated (a hand edit may
 * hold anything).
 */
export function untimedShows(record: AudienceRecord): string {
  return record.intent?.startedAt === undefined ? 'no time' : "no time it can read (its intent's startedAt)";
}

function lastPost(
  record: AudienceRecord,
  offsetNow: number | undefined,
): { ms: number; clock: 'aep' | 'local' } | undefined {
  const repeated = record.pendingCreate?.repeated;
  if (repeated !== undefined) {
    const localMs = epochMsOf(repeated.at);
    const aepMs = repeated.earliestAepMs;
    if (aepMs !== undefined && Math.abs(aepMs - localMs) <= MAX_CLOCK_OFFSET_SECONDS * 1000)
      return { ms: aepMs, clock: 'aep' };
    if (Number.isFinite(localMs)) return { ms: localMs + (offsetNow ?? 0) * 1000, clock: 'local' };
  }
  const began = createBegan(record, offsetNow);
  return began === undefined ? undefined : { ms: began.atMs, clock: began.clock };
}
