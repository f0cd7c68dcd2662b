import type { AudienceRecord } from './schema.js';

/** One short phrase for a record's condition, as `state list` shows it (`state show` has the details). */
export function recordStatus(record: AudienceRecord): string {
  if (record.blocked) return `blocked (${record.blocked.code})`;
  if (record.intent) return `${record.intent.kind} in flight since ${record.intent.startedAt}`;
  if (record.audienceId) return 'ok';
  if (record.operationId) return `creating (operation ${record.operationId})`;
  return 'no audience id';
}

export function lastRunStatus(record: AudienceRecord): string {
  const run = record.runs[0];
  return run ? `${run.status} (${run.runId})` : '-';
}
