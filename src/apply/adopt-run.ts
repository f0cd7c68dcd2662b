import type { Run } from '../aep/types.js';
import type { RunRecord } from '../state/schema.js';

/**
 * A run started this long before our intent, both in AEP's clock (run-intent.ts shifts the
 * intent's time by the measured offset), still counts as ours: the offset is read from
 * 1-second Date headers, and transit adds some.
 */
const ADOPT_MARGIN_SECONDS = 120;

/**
 * After a run request whose outcome is unknown: the run the service shows as started
 * since `sinceSeconds` that audiencectl does not know yet, if any. Adopting it, rather
 * than asking again, is how a run is never started twice.
 */
export function adoptableRun(
  runs: readonly Run[],
  sinceSeconds: number,
  known: ReadonlySet<string>,
): Run | undefined {
  return runs.find(
    (run) => (run.createdAt ?? 0) >= sinceSeconds - ADOPT_MARGIN_SECONDS && !known.has(run.runId),
  );
}

/** What the state records of a run the service reported; `fallback` fills what the response left out. */
export function runRecord(
  run: Run,
  fallback: { start: number; now: number; reason?: string | undefined },
): RunRecord {
  return {
    runId: run.runId,
    status: run.status ?? 'PROCESSING',
    createdAt: run.createdAt ?? fallback.now,
    dataFilterStartTime: run.dataFilterStartTime ?? fallback.start,
    ...(run.dataFilterEndTime === undefined ? {} : { dataFilterEndTime: run.dataFilterEndTime }),
    ...(fallback.reason === undefined ? {} : { reason: fallback.reason }),
  };
}
