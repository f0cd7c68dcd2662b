import { keptRuns, recordFormat } from './record-changes.js';
import { AudienceRecord, type AudienceRecordInput } from './schema.js';

// Apart from record-changes.ts: the record schema is zod's, and the store's writers, which every
// command that opens a store loads, import this only as they write (record-writes.ts).

/** Validates a record, keeps its runs newest first and bounded, and sets its format. */
export function normaliseRecord(input: AudienceRecordInput): AudienceRecord {
  const record = AudienceRecord.parse(input);
  // Sorted before the cut, so the bound drops the oldest runs whatever order they came in.
  const runs = keptRuns([...record.runs].sort((a, b) => b.createdAt - a.createdAt));
  return { ...record, schemaVersion: recordFormat(runs), runs };
}
