import type { AudienceRecord } from './schema.js';

// What a record without an audience id holds, read one way everywhere: the plan (moves,
// removals, carries), the executor (carry, forget) and discovery ask these, never their own
// copies of the fields.

/**
 * Its create was sent, and may have made an audience whose id audiencectl has not learned: a
 * call in flight (an intent) or an operation not read yet. The body sent (`pendingCreate`) is
 * written only with a create intent and kept only with its operation, so it adds nothing here.
 */
export function createUnsettled(record: AudienceRecord): boolean {
  return record.intent !== undefined || record.operationId !== undefined;
}

/**
 * A record waiting for its create: no audience id, and not blocked as a name someone else
 * holds. Its create's answer may be lost (createUnsettled), or it holds only what outlives a
 * create that made nothing, or a replace's DELETE, or a refresh that found its audience deleted
 * outside: the mark of the deleted audience's name (`applied`) and that audience's runs, which
 * count against the sandbox's daily run budget.
 */
export function isWaiting(record: AudienceRecord): boolean {
  return record.audienceId === undefined && record.blocked === undefined;
}

/**
 * No audience of its own, and none that a create of it may have made: what it holds (runs of
 * deleted audiences, a mark, a block for a name someone else holds) names no audience of
 * audiencectl's. A forget keeps its runs that still count (a runs-only record).
 */
export function ownsNoAudience(record: AudienceRecord): boolean {
  return record.audienceId === undefined && !createUnsettled(record);
}

/** Waiting, with no create in flight: the next apply creates it (only a mark and runs, if anything). */
export function holdsNoAudience(record: AudienceRecord): boolean {
  return isWaiting(record) && ownsNoAudience(record);
}

/**
 * Whether a waiting record may still be moved by a create of another key: to another sandbox
 * only with no create in flight (one is settled where it was sent first); in its own, with no
 * call in flight but a create whose body was recorded (resumed as it was sent, under the new
 * key). The plan asks it (waiting-move.ts carries), and the executor again before it moves the
 * record (apply/steps/carry.ts): a record changed since is no longer as planned.
 */
export function movable(record: AudienceRecord, toOtherSandbox: boolean): boolean {
  if (!isWaiting(record)) return false;
  if (toOtherSandbox) return !createUnsettled(record);
  return (
    record.intent === undefined || (record.intent.kind === 'create' && record.pendingCreate !== undefined)
  );
}
