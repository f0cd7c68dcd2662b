import { isExternal, type LiveAudience } from '../aep/segment-types.js';
import type { Plan, Step } from '../plan/schema.js';
import { unverifiedDeleteText, unverifiedImport, unverifiedWithoutName } from '../plan/unverified-import.js';
import type { PasteFlags } from '../text/paste-flags.js';
import type { AudienceRecord } from '../state/schema.js';
import { aepFailure } from './aep-failure.js';
import type { ExecutorDeps } from './types.js';

/** What the service shows under an id, read before anything is deleted. */
export type LiveRead = { found: LiveAudience | undefined } | { failed: string };

/** Reads of the ids a plan will delete, by `sandbox/id`. */
export type DeleteReads = Map<string, LiveRead>;

/** Whether the DELETE may be sent: the id must still name the audience recorded. */
export type DeleteVerdict =
  | { kind: 'same' }
  | { kind: 'gone' }
  | { kind: 'other'; reason: string }
  | { kind: 'unknown'; reason: string };

function readKey(sandbox: string, id: string): string {
  return `${sandbox}/${id}`;
}

/** Steps that send a DELETE: removals and replacements that will be applied. */
function deletingSteps(plan: Plan): Step[] {
  return plan.steps.filter(
    (step) =>
      (step.kind === 'delete' || step.kind === 'replace') &&
      !step.blocked &&
      !step.deferred &&
      step.audienceId !== undefined,
  );
}

/**
 * One batch read (bulk-get, per sandbox) of the audiences `steps` go to, made just before they
 * run. A read that fails marks its ids `failed`: what that means is the caller's (a DELETE is
 * not sent unconfirmed; a PATCH or a run goes ahead as the plan read it).
 */
export async function readLiveAudiences(steps: Step[], deps: ExecutorDeps): Promise<DeleteReads> {
  const bySandbox = new Map<string, string[]>();
  for (const step of steps) {
    const ids = bySandbox.get(step.sandbox) ?? [];
    ids.push(step.audienceId ?? '');
    bySandbox.set(step.sandbox, ids);
  }
  const reads: DeleteReads = new Map();
  await Promise.all(
    [...bySandbox].map(async ([sandbox, ids]) => {
      try {
        const found = await deps.client.bulkGetAudiences(sandbox, ids, {
          ...(deps.signal ? { signal: deps.signal } : {}),
          ...(deps.bulkBatchSize === undefined ? {} : { batchSize: deps.bulkBatchSize }),
        });
        for (const id of ids) reads.set(readKey(sandbox, id), { found: found.get(id) });
      } catch (error) {
        const failed = aepFailure(error).message;
        for (const id of ids) reads.set(readKey(sandbox, id), { failed });
      }
    }),
  );
  return reads;
}

/** The read before the DELETEs: an id whose read failed is not deleted. */
export function readBeforeDeletes(plan: Plan, deps: ExecutorDeps): Promise<DeleteReads> {
  return readLiveAudiences(deletingSteps(plan), deps);
}

/** The name audiencectl knows the audience by: as applied, as the service last showed it, or as imported. */
export function recordedName(record: AudienceRecord): string | undefined {
  // Without an audience id, `applied` is an audience's its replace deleted (the mark of its
  // name): the audience this record's create made is named as the create sent it.
  if (record.applied && record.audienceId !== undefined) return record.applied.spec.name;
  if (record.pendingCreate) return record.pendingCreate.body.name;
  const body = record.observed?.body;
  const name = body?.['audienceName'] ?? body?.['name'];
  // Imported and never applied nor read since: the name it was imported as (a `state import`
  // without credentials recorded an id nobody checked).
  return typeof name === 'string' ? name : record.imported?.name;
}

/**
 * Same name (when known) and external: anything else is another audience now. An id
 * `state import` recorded without credentials is held when it names nothing, or when it was
 * recorded with no name to compare (unverifiedWithoutName): nothing ever checked what it names.
 * `paste`: the flags the repairs it prints carry.
 */
export function verdictOf(
  record: AudienceRecord,
  id: string,
  read: LiveRead,
  paste?: PasteFlags,
): DeleteVerdict {
  if ('failed' in read) return { kind: 'unknown', reason: read.failed };
  const live = read.found;
  // Never known to name an audience, its 404 is no deletion outside audiencectl.
  if (!live && unverifiedImport(record))
    return { kind: 'other', reason: unverifiedDeleteText(record, undefined, paste) };
  if (!live) return { kind: 'gone' };
  const expected = recordedName(record);
  if (!isExternal(live)) {
    return {
      kind: 'other',
      reason: `id ${id} now names "${live.name}", which is not an external audience`,
    };
  }
  if (unverifiedWithoutName(record))
    return { kind: 'other', reason: unverifiedDeleteText(record, live, paste) };
  if (expected !== undefined && live.name !== expected) {
    return {
      kind: 'other',
      reason: `id ${id} now names "${live.name}", not "${expected}" (renamed outside audiencectl?)`,
    };
  }
  return { kind: 'same' };
}

/**
 * What the service lists under `id` now, read as the check before the DELETE read it: by the
 * batch read (bulk-get) when the plan's batch read had it, else by a single read. A failed read
 * is `failed`, never "not found".
 */
export async function readAgain(record: AudienceRecord, id: string, deps: ExecutorDeps): Promise<LiveRead> {
  const options = deps.signal ? { signal: deps.signal } : {};
  try {
    if (deps.deleteReads?.has(readKey(record.sandbox, id))) {
      const found = await deps.client.bulkGetAudiences(record.sandbox, [id], options);
      return { found: found.get(id) };
    }
    return { found: await deps.client.getAudience(record.sandbox, id, options) };
  } catch (error) {
    return { failed: aepFailure(error).message };
  }
}

/** The verdict for one id: from the batch read, or (an id learned since) from a single read. */
export async function checkBeforeDelete(
  record: AudienceRecord,
  id: string,
  deps: ExecutorDeps,
): Promise<DeleteVerdict> {
  let read = deps.deleteReads?.get(readKey(record.sandbox, id));
  if (!read) {
    try {
      read = {
        found: await deps.client.getAudience(record.sandbox, id, deps.signal ? { signal: deps.signal } : {}),
      };
    } catch (error) {
      read = { failed: aepFailure(error).message };
    }
  }
  return verdictOf(record, id, read, deps.paste);
}
