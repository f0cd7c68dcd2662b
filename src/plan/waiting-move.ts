import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { createUnsettled, isWaiting, movable } from '../state/waiting.js';
import { knownName } from './drift.js';
import type { FieldChange, Step } from './schema.js';

/**
 * The name a record's audience has or will have: for a record waiting for its create, the name
 * its create sent (an audience it made has that name), else the name audiencectl knows it by.
 */
export function waitingName(record: AudienceRecord): string | undefined {
  return (isWaiting(record) ? record.pendingCreate?.body.name : undefined) ?? knownName(record);
}

/**
 * Whether the create of `manifest` may take `record` with it: a record waiting for its create
 * whose manifest changed its metadata.name (same sandbox) or its sandbox. To another key of the
 * same sandbox, everything it holds goes (a create in flight is resumed as it was sent, under
 * the new key: the service knows no keys); a release's create intent that did not record its
 * body cannot be resumed as sent, and a call other than a create is never carried. To another
 * sandbox, only a record of which no audience can exist: no create in flight (that one is
 * settled in its own sandbox first, see moveStep), and only for a metadata.sandbox the manifest
 * names (a changed default sandbox stays a blocked move, as for every recorded audience).
 */
export function carries(record: AudienceRecord, manifest: DesiredManifest): boolean {
  const other = manifest.sandbox !== record.sandbox;
  // A default sandbox changed (--sandbox, AEP_SANDBOX) is more likely a mistake than a move.
  if (other && manifest.manifest.metadata.sandbox === undefined) return false;
  return movable(record, other);
}

/**
 * The way out of a move of a record waiting for a create that may have made an audience (it is
 * not carried): settled where it was sent, by an apply of the manifest as it was (`back`: how to
 * put it back, "set metadata.name back to gold"). Undefined for any other record.
 */
export function settleFirst(record: AudienceRecord, back: string): string | undefined {
  if (!isWaiting(record) || !createUnsettled(record)) return undefined;
  const sent = record.pendingCreate ? ` ("${record.pendingCreate.body.name}")` : '';
  return (
    `its create in sandbox "${record.sandbox}"${sent} is not settled: audiencectl does not know whether it made an audience, nor its id. ` +
    `${back.charAt(0).toUpperCase()}${back.slice(1)} and run \`audiencectl apply\`: the create is settled (its audience adopted, or created); then make the change again, and the plan says how to move the audience`
  );
}

/** Words for the runs a record keeps of a deleted audience. */
function formerRunsNote(record: AudienceRecord): string {
  const n = record.runs.filter((run) => run.formerAudienceId !== undefined).length;
  if (n === 0) return '';
  return n === 1 ? '1 run of a deleted audience' : `${n} runs of a deleted audience`;
}

/** Why the create of `manifest` moves `record`, and what becomes of what it holds. */
function carriedReason(record: AudienceRecord, manifest: DesiredManifest): string {
  const from = `${record.sandbox}/${record.key}`;
  const runs = formerRunsNote(record);
  if (manifest.sandbox !== record.sandbox) {
    const kept =
      runs === ''
        ? 'that record is dropped'
        : `that record keeps only its ${runs}, counted against sandbox "${record.sandbox}"'s daily run budget until they are a day old`;
    return `moved from sandbox "${record.sandbox}", where its record ${from} waits for its create (no audience exists there): ${kept}`;
  }
  const held = [
    ...(record.intent || record.operationId ? ['its create in flight'] : []),
    ...(record.applied ? ['the mark of the name its replace deleted'] : []),
    ...(runs === '' ? [] : [runs]),
  ];
  const what = held.length === 0 ? '' : ` (with ${held.join(', ')})`;
  return `metadata.name changed from ${record.key} while its record waited for its create: the record moves to ${manifest.key}${what}`;
}

/**
 * The create step of a manifest that takes a waiting record with it (`carries`): marked with the
 * record it moves (the executor moves or drops it first, apply/steps/carry.ts), and saying so.
 * Other steps (its first run, an adoption) are as they were.
 */
export function carriedSteps(
  steps: readonly Step[],
  record: AudienceRecord,
  manifest: DesiredManifest,
): Step[] {
  return steps.map((step) => {
    if (step.kind !== 'create') return step;
    const renamed = manifest.sandbox === record.sandbox;
    const change: FieldChange = renamed
      ? { path: 'metadata.name', before: record.key, after: manifest.key, forcesReplacement: false }
      : { path: 'sandbox', before: record.sandbox, after: manifest.sandbox, forcesReplacement: false };
    return {
      ...step,
      reason: `${carriedReason(record, manifest)}; ${step.reason}`,
      changes: [change, ...step.changes],
      movedFrom: { sandbox: record.sandbox, key: record.key },
    };
  });
}

/** The record a carried create starts from: the waiting record under the manifest's key, or none from another sandbox. */
export function carriedRecord(record: AudienceRecord, manifest: DesiredManifest): AudienceRecord | undefined {
  return manifest.sandbox === record.sandbox ? { ...record, key: manifest.key } : undefined;
}
