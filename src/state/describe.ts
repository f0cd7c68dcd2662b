import { currentRuns } from './current-runs.js';
import type { AudienceRecord } from './schema.js';

/** Run statuses: only SUCCESS and FAILED are final; anything else is in progress. */
export const FINAL_RUN_STATUSES = ['SUCCESS', 'FAILED'] as const;

/** One short phrase for a record's condition, as `state list` shows it (`state show` has the details). */
export function recordStatus(record: AudienceRecord): string {
  if (record.blocked) return `blocked (${record.blocked.code})`;
  if (record.intent) return `${record.intent.kind} in flight since ${record.intent.startedAt}`;
  if (record.audienceId) return 'ok';
  if (record.operationId) return `creating (operation ${record.operationId})`;
  return 'no audience id';
}

export function lastRunStatus(record: AudienceRecord): string {
  const run = currentRuns(record)[0];
  return run ? `${run.status} (${run.runId})` : '-';
}

/** What to do about a failed run: the service never retries it, and neither does audiencectl. */
export const RUN_FAILED_NEXT = 'change ingestion.request to start a new run';

/** A record's last run, when it failed: its id, the service's reason and what to do next. */
export type RunFailure = { runId: string; reason: string; next: string };

export function lastRunFailure(record: AudienceRecord): RunFailure | undefined {
  // Runs are kept newest first (record-changes.ts).
  const run = currentRuns(record)[0];
  if (run?.status !== 'FAILED') return undefined;
  return { runId: run.runId, reason: run.failureReason ?? 'no reason given', next: RUN_FAILED_NEXT };
}

/** One line for a person: `run <id> FAILED: <reason>; change ingestion.request ...`. */
export function describeRunFailure(failure: RunFailure): string {
  return `run ${failure.runId} FAILED: ${failure.reason}; ${failure.next}`;
}
