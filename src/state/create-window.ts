import { epochMsOf } from './instant.js';
import { MAX_CLOCK_OFFSET_SECONDS } from './own-creators.js';
import type { AudienceRecord } from './schema.js';

// Whether an audience found under a create's name can be the one that create made, by when it
// was created: the one rule an apply's lookup (apply/find-created.ts) and `state import`
// (state/repair.ts) both apply.

/**
 * With AEP's clock not known when the create began: how much earlier than it, by the clock of
 * the machine that began it (moved by an offset measured now, perhaps on another machine), an
 * audience may have been created and still be taken for its own. Clocks differ.
 */
export const CREATE_SKEW_SECONDS = 120;

/**
 * With AEP's clock known when the create began (PendingCreate.earliestAepMs): how much earlier
 * than that bound an audience's creation time, read at its latest (creationLatestMs), may be and
 * still be the create's own. What is left once the Date header's precision is in the bound and
 * the creation time's in its reading: AEP's own clocks (the one stamping Date headers, the one
 * stamping creation times: servers kept in step to milliseconds), and the drift of this
 * machine's monotonic clock from AEP's over the 10 minutes a reading is used.
 */
export const AEP_CLOCKS_SPREAD_MS = 500;

/**
 * When a record's create began, in epoch ms. `intent`: its intent's time, written before any
 * POST of it was sent; `answer`: when its POST's answer was recorded (the audience was made
 * before). `clock`: `aep`, AEP's clock at the earliest (a POST sent after it made an audience
 * no earlier); `local`, the clock of the machine that wrote it, moved by an offset to AEP's
 * that may not be that machine's then.
 */
export type CreateBegan = { began: 'intent' | 'answer'; atMs: number; clock: 'aep' | 'local' };

/**
 * `after`: no earlier than the create began, as far as its clock tells. `unclocked`: `seconds`
 * before an intent whose time is in a local clock only, within CREATE_SKEW_SECONDS: taken for
 * its own, saying so. `earlier`: before the create began by more than its clock's margin, so no
 * POST of it made the audience.
 */
export type CreatedVerdict =
  | { kind: 'after' }
  | { kind: 'unclocked'; seconds: number }
  | { kind: 'earlier'; seconds: number; clock: 'aep' | 'local' };

type BeganFrom = Pick<AudienceRecord, 'intent' | 'pendingCreate' | 'operationId' | 'observed'>;

/**
 * When `record`'s create began: its create intent's time, else its POST's answer's (when an
 * operation is recorded); undefined when it records neither. An intent carries AEP's clock at
 * its earliest (earliestAepMs: the Date header of an answer just before, plus the time since
 * it arrived), and the record keeps it with the operation once the POST is answered: that bound
 * decides then too. An intent of the release before it carries only the offset its machine
 * measured (`clockOffset`): its time moved by that offset (atMost) is such a bound too. An intent
 * with neither, and an answer without the bound, are in the local clock: moved by the offset
 * their machine recorded, else `offsetNow`, the one measured now (right only when the clock is
 * the same). Values beyond MAX_CLOCK_OFFSET_SECONDS from the intent's (or the answer's) own time
 * are no measurement.
 */
export function createBegan(record: BeganFrom, offsetNow: number | undefined): CreateBegan | undefined {
  if (record.intent?.kind === 'create') {
    const localMs = epochMsOf(record.intent.startedAt);
    if (!Number.isFinite(localMs)) return undefined;
    const earliest = record.pendingCreate?.earliestAepMs;
    if (earliest !== undefined && Math.abs(earliest - localMs) <= MAX_CLOCK_OFFSET_SECONDS * 1000)
      return { began: 'intent', atMs: earliest, clock: 'aep' };
    const offset = record.pendingCreate?.clockOffset;
    if (offset !== undefined && Math.abs(offset) <= MAX_CLOCK_OFFSET_SECONDS)
      return { began: 'intent', atMs: localMs + atMost(offset), clock: 'aep' };
    return { began: 'intent', atMs: localMs + atMost(offsetNow), clock: 'local' };
  }
  if (record.operationId === undefined) return undefined;
  const answeredMs = epochMsOf(record.observed?.at ?? '');
  if (!Number.isFinite(answeredMs)) return undefined;
  // The intent's bound, kept with the operation its POST was answered with (whichever machine
  // sent that POST, resuming the intent): no POST of the create was sent before it.
  const earliest = record.pendingCreate?.earliestAepMs;
  if (earliest !== undefined && Math.abs(earliest - answeredMs) <= MAX_CLOCK_OFFSET_SECONDS * 1000)
    return { began: 'intent', atMs: earliest, clock: 'aep' };
  const recorded = record.pendingCreate?.clockOffset;
  const trusted =
    recorded !== undefined && Math.abs(recorded) <= MAX_CLOCK_OFFSET_SECONDS ? recorded : undefined;
  return { began: 'answer', atMs: answeredMs + atMost(trusted ?? offsetNow), clock: 'local' };
}

/**
 * An offset in whole seconds (measuredOffset: the middle of a Date header's second, rounded) in
 * ms, at its smallest: at most 1 s over the truth. None: 0.
 */
function atMost(offsetSeconds: number | undefined): number {
  return offsetSeconds === undefined ? 0 : (offsetSeconds - 1) * 1000;
}

/**
 * The latest instant an audience shown created at `createdMs` (epoch ms) can have been created:
 * a time in whole seconds (createEpoch, or a creationTime that is one) may be truncated by up to
 * a second; one with milliseconds is read as exact.
 */
export function creationLatestMs(createdMs: number): number {
  return createdMs % 1000 === 0 ? createdMs + 1000 : createdMs;
}

/**
 * Whether an audience created at `createdMs` (AEP's clock, epoch ms) can be the one the create
 * that began at `began` made. In AEP's clock, with the time the intent began at its earliest
 * and the creation time at its latest, its own audience can show before the intent by no more
 * than AEP_CLOCKS_SPREAD_MS; in a local clock, by CREATE_SKEW_SECONDS. An answer's time is after
 * the audience was made: only the skew applies.
 */
export function createdVersusBegan(createdMs: number, began: CreateBegan): CreatedVerdict {
  const beforeMs = began.atMs - creationLatestMs(createdMs);
  const seconds = Math.round(beforeMs / 1000);
  if (began.clock === 'aep')
    return beforeMs > AEP_CLOCKS_SPREAD_MS ? { kind: 'earlier', seconds, clock: 'aep' } : { kind: 'after' };
  if (beforeMs > CREATE_SKEW_SECONDS * 1000) return { kind: 'earlier', seconds, clock: 'local' };
  if (began.began === 'intent' && seconds > 0) return { kind: 'unclocked', seconds };
  return { kind: 'after' };
}

/**
 * How a message says when the audience was created against the create (`which`: `this` in an
 * apply's step, `that` in an import's note), after "created": `N s before this create began
 * (in AEP's clock), so no POST of this create made it`, and so on.
 */
export function createdBeforeText(
  verdict: Exclude<CreatedVerdict, { kind: 'after' }>,
  which: 'this' | 'that',
): string {
  const before = `${verdict.seconds} s before ${which} create began`;
  if (verdict.kind === 'unclocked')
    return `${before} by the clock of the machine that began it (AEP's clock was not read then to compare them, and they may differ by that much)`;
  if (verdict.clock === 'aep') return `${before} (in AEP's clock), so no POST of ${which} create made it`;
  return `${before} by the clock of the machine that began it, more than the ${CREATE_SKEW_SECONDS / 60} minutes that clock may be off AEP's, so no POST of ${which} create made it`;
}
