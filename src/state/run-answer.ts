import type { RunRecord } from './schema.js';

/** What a run's GET tells of it: the fields a record keeps. */
type RunAnswer = {
  status?: string | undefined;
  dataFilterEndTime?: number | undefined;
  failureReason?: unknown;
};

/**
 * `run` as the service last answered it: its status (kept when the answer has none), the end
 * of the data it took, and, once FAILED, the service's reason.
 */
export function runWithAnswer(run: RunRecord, answer: RunAnswer | undefined): RunRecord {
  const failureReason = answer?.status === 'FAILED' ? answer.failureReason : undefined;
  return {
    ...run,
    status: answer?.status ?? run.status,
    ...(answer?.dataFilterEndTime === undefined ? {} : { dataFilterEndTime: answer.dataFilterEndTime }),
    ...(typeof failureReason === 'string' ? { failureReason } : {}),
  };
}

/** `runs` with `run` in place of the run of its id, first (runs are kept newest first). */
export function withRun(runs: readonly RunRecord[], run: RunRecord): RunRecord[] {
  return [run, ...runs.filter((r) => r.runId !== run.runId)];
}
