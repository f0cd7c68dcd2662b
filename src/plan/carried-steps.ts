import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import type { FieldChange, Step } from './schema.js';

// The create that takes a waiting record with it (waiting-move.ts carries decides when): what
// its step says and carries, and the record it starts from.

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
