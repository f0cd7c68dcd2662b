import type { AepClient, AudienceReads, CallOptions } from '../aep/types.js';
import type { LoadResult } from '../manifest/load.js';
import type { RefreshView } from '../plan/schema.js';
import { CREATE_SKEW_SECONDS } from '../state/create-window.js';
import { epochMsOf } from '../state/instant.js';
import type { AudienceRecord, Intent, RecordedState } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { recordId } from '../state/record-id.js';
import type { RefreshOptions } from './refresh.js';

// A DELETE whose answer never came (its apply killed, its connection lost) settled as not done,
// the service still showing the audience when the next apply read it: the DELETE may still land
// (a gateway, or the service behind it, goes on with it). The settled intent is kept on the
// record (AudienceRecord.unansweredDelete), and every plan reads the audience first, as a
// refresh does: gone, its create is planned again, never a plan that trusts the record (no
// changes, a PATCH that would 404) because of a request still on its way.

/**
 * How long after it was sent a DELETE may still land. No page says how long AEP's gateway and
 * the service behind it may go on with a request whose client is gone: the longest the apply
 * waits for the service to act on a create (CREATE_LANDS_WITHIN_MS) is taken for it too.
 */
export const LATE_DELETE_LANDS_WITHIN_MS = 15 * 60_000;

/** The DELETE of unknown outcome that may still remove the audience the record names. */
export function lateDeleteOf(record: AudienceRecord): Intent | undefined {
  const late = record.unansweredDelete;
  return late !== undefined && late.audienceId === record.audienceId ? late : undefined;
}

/** The records whose audience a plan reads first: those a late DELETE may remove, of manifests in the source. */
export function lateDeleteTargets(desired: LoadResult, recorded: RecordedState): AudienceRecord[] {
  const marked = recorded.audiences.filter((record) => lateDeleteOf(record) !== undefined);
  // Most plans have none: then no set of every manifest's id is built.
  if (marked.length === 0) return marked;
  // As a refresh picks them (refresh.ts refreshTargets), without loading its readers.
  const wanted = new Set(desired.manifests.map((m) => recordId(m.sandbox, m.key)));
  return marked.filter((record) => wanted.has(recordId(record.sandbox, record.key)));
}

/**
 * The audiences a late DELETE may remove, read as a refresh reads them (bulk-get). A sandbox
 * whose read fails is left out (told to `sandboxFailed` where given): its records are planned
 * from themselves, as before. Undefined when there is none to read.
 */
export async function readLateDeletes(
  desired: LoadResult,
  recorded: RecordedState,
  client: Pick<AudienceReads, 'bulkGetAudiences'> & Pick<AepClient, 'askedWait'>,
  options: RefreshOptions,
): Promise<RefreshView | undefined> {
  const targets = lateDeleteTargets(desired, recorded);
  if (targets.length === 0) return undefined;
  const { readRefresh } = await import('./refresh.js');
  return readRefresh(desired, { ...recorded, audiences: targets }, client, {
    ...options,
    sandboxFailed: options.sandboxFailed ?? (() => undefined),
  });
}

/**
 * Whether the mark's DELETE can no longer land at `nowMs` (this machine's clock): sent longer
 * than LATE_DELETE_LANDS_WITHIN_MS ago, with the margin two machines' clocks may differ by (it
 * may have been written on another). A time it cannot read: kept, and read by every plan.
 */
export function lateDeleteSpent(late: Intent, nowMs: number): boolean {
  const sentMs = epochMsOf(late.startedAt);
  if (!Number.isFinite(sentMs)) return false;
  return nowMs - sentMs > LATE_DELETE_LANDS_WITHIN_MS + CREATE_SKEW_SECONDS * 1000;
}

/**
 * Drops the marks of DELETEs that went to another audience than the record names now, and of
 * those that can no longer land (lateDeleteSpent) once a read shows the audience still there:
 * from then on the record is trusted as before. One the read does not show is kept (the plan
 * reads it too, and creates it again); a read that fails keeps it, for the next apply.
 */
export async function dropSpentLateDeletes(
  store: StateStore,
  client: Pick<AudienceReads, 'getAudience'>,
  records: readonly AudienceRecord[],
  nowMs: number,
  call: CallOptions,
): Promise<void> {
  for (const record of records) {
    const late = record.unansweredDelete;
    if (late === undefined || record.intent !== undefined) continue;
    const other = late.audienceId !== record.audienceId;
    if (!other && !lateDeleteSpent(late, nowMs)) continue;
    if (!other && !(await stillThere(client, record, call))) continue;
    const next = { ...record };
    delete next.unansweredDelete;
    // Another writer's change since: left for the next apply.
    await store.replaceIfUnchanged(record, next);
  }
}

async function stillThere(
  client: Pick<AudienceReads, 'getAudience'>,
  record: AudienceRecord,
  call: CallOptions,
): Promise<boolean> {
  try {
    return (await client.getAudience(record.sandbox, record.audienceId ?? '', call)) !== undefined;
  } catch (error) {
    if (call.signal?.aborted) throw error;
    return false;
  }
}
