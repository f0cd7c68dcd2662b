import type { Plan } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import type { VersionsAsked } from '../state/record-version.js';
import type { AudienceRecord } from '../state/schema.js';

/** Steps that remove a record: the shared-audience hold decided them from the others' records. */
const REMOVALS = new Set(['delete', 'forget']);

/**
 * The records a pass must confirm before its first call (cachedReads `confirm`): those its steps
 * act on (blocked and deferred ones act on nothing), with the record a create takes along
 * (movedFrom); and for a removal, what decided that it deletes: every record of its sandbox (the
 * shared-audience hold looks for another record holding its audience, which a copy made outside
 * the store may be, added there by file or row) and the others, anywhere, recorded as holding the
 * same audience. The scope rule reads the removed record alone (its manifest file). Other records
 * are not looked at: a pass confirms a few records, not 10,000 (issue 15's target).
 */
export function touchedRecords(plan: Plan, records: readonly AudienceRecord[]): VersionsAsked {
  const ids = new Map<string, readonly [string, string]>();
  const sandboxes = new Set<string>();
  const removed = new Set<string>();
  const add = (sandbox: string, key: string) => ids.set(recordId(sandbox, key), [sandbox, key]);
  for (const step of plan.steps) {
    if (step.blocked !== undefined || step.deferred !== undefined) continue;
    add(step.sandbox, step.key);
    if (step.movedFrom) add(step.movedFrom.sandbox, step.movedFrom.key);
    if (!REMOVALS.has(step.kind)) continue;
    sandboxes.add(step.sandbox);
    if (step.audienceId !== undefined) removed.add(step.audienceId);
  }
  if (removed.size > 0)
    for (const record of records)
      if (record.audienceId !== undefined && removed.has(record.audienceId)) add(record.sandbox, record.key);
  return { ids: [...ids.values()], sandboxes: [...sandboxes] };
}
