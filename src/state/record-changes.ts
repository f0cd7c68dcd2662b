import type { AppliedSpec, AudienceRecord, Intent, PendingCreate, RunRecord } from './schema.js';
import { RUN_BUDGET_WINDOW_SECONDS, withoutStaleFormerRuns } from './current-runs.js';

/**
 * Runs kept per record, newest first: enough to see a trend, small enough to stay fast. Runs
 * that may still count against the daily run budget are kept past it (keptRuns).
 */
export const MAX_RUNS = 20;

/**
 * `runs` (newest first) cut to MAX_RUNS, but never a run begun within the budget's window of the
 * newest: it may still count (a record replaced twice in a day holds its former audiences' runs
 * beside its own), and cut, the budget would start a run too many. The service's own daily
 * limits bound what is kept.
 */
export function keptRuns(runs: RunRecord[]): RunRecord[] {
  const newest = runs[0];
  if (newest === undefined || runs.length <= MAX_RUNS) return runs;
  const since = newest.createdAt - RUN_BUDGET_WINDOW_SECONDS;
  const cut = runs.findIndex((run, index) => index >= MAX_RUNS && run.createdAt <= since);
  return cut === -1 ? runs : runs.slice(0, cut);
}

export type Observed = NonNullable<AudienceRecord['observed']>;
export type Blocked = NonNullable<AudienceRecord['blocked']>;

/** What an outcome changes in a record; absent properties stay as they are. */
export type RecordChanges = {
  operationId?: string;
  audienceId?: string;
  deletionPolicy?: AudienceRecord['deletionPolicy'];
  manifestFile?: string;
  sourceRoot?: string;
  repository?: string;
  applied?: AppliedSpec;
  observed?: Observed;
  /** Added as the newest run, or replaces the run with the same runId (a poll's update). */
  run?: RunRecord;
  /** `null` clears the mark. */
  blocked?: Blocked | null;
  /** `null` clears it (a PATCH went through). */
  patchRefused?: AudienceRecord['patchRefused'] | null;
  /** `null` clears it (a PATCH of them answered). */
  unknownAfterPatch?: AudienceRecord['unknownAfterPatch'] | null;
  /** `null` drops it (the audience id is recorded, or the create will not be resumed). */
  pendingCreate?: PendingCreate | null;
  /**
   * The run intent just settled as having started no run (AudienceRecord.unansweredRun);
   * `null` drops it. A run the record did not hold, recorded, drops it too.
   */
  unansweredRun?: Intent | null;
  /**
   * The delete intent just settled as not done (AudienceRecord.unansweredDelete); `null` drops
   * it. A record that names another audience drops it too.
   */
  unansweredDelete?: Intent | null;
  /**
   * Drops the runs of deleted audiences (formerAudienceId) begun at or before this instant
   * (epoch seconds, in the runs' clock): they no longer count against the daily run budget.
   */
  formerRunsAfter?: number;
};

/** An empty record for an audience audiencectl is about to create or import. */
export function newRecord(
  sandbox: string,
  key: string,
  deletionPolicy: AudienceRecord['deletionPolicy'] = 'Delete',
): AudienceRecord {
  return { schemaVersion: 1, sandbox, key, deletionPolicy, runs: [] };
}

/** A record's format (its `schemaVersion`): 2 while a run carries `formerAudienceId`. */
export function recordFormat(runs: readonly RunRecord[]): 1 | 2 {
  return runs.some((run) => run.formerAudienceId !== undefined) ? 2 : 1;
}

export function mergeRun(runs: readonly RunRecord[], run: RunRecord): RunRecord[] {
  const index = runs.findIndex((existing) => existing.runId === run.runId);
  if (index === -1) return keptRuns([run, ...runs]);
  return runs.map((existing, i) => (i === index ? run : existing));
}

export function withoutIntent(record: AudienceRecord): AudienceRecord {
  const next = { ...record };
  delete next.intent;
  return next;
}

export function withoutBlocked(record: AudienceRecord): AudienceRecord {
  const next = { ...record };
  delete next.blocked;
  return next;
}

export function applyChanges(record: AudienceRecord, changes: RecordChanges): AudienceRecord {
  const {
    run,
    blocked,
    pendingCreate,
    formerRunsAfter,
    patchRefused,
    unknownAfterPatch,
    unansweredRun,
    unansweredDelete,
    ...plain
  } = changes;
  let next: AudienceRecord = { ...record, ...plain };
  if (formerRunsAfter !== undefined)
    next = { ...next, runs: withoutStaleFormerRuns(next.runs, formerRunsAfter) };
  // A run begun since the unanswered request (its own, adopted; or the one asked for again) ends
  // what it stood for: a later run the record has no trace of is a stranger's again.
  if (run && !next.runs.some((held) => held.runId === run.runId)) delete next.unansweredRun;
  if (run) next = { ...next, runs: mergeRun(next.runs, run) };
  if (unansweredRun === null) delete next.unansweredRun;
  else if (unansweredRun) next = { ...next, unansweredRun };
  if (unansweredDelete === null) delete next.unansweredDelete;
  else if (unansweredDelete) next = { ...next, unansweredDelete };
  // The DELETE went to another audience than the one the record names now (created again).
  if (next.unansweredDelete && next.unansweredDelete.audienceId !== next.audienceId)
    delete next.unansweredDelete;
  if (pendingCreate === null) delete next.pendingCreate;
  else if (pendingCreate) next = { ...next, pendingCreate };
  if (patchRefused === null) delete next.patchRefused;
  else if (patchRefused) next = { ...next, patchRefused };
  if (unknownAfterPatch === null) delete next.unknownAfterPatch;
  else if (unknownAfterPatch) next = { ...next, unknownAfterPatch };
  if (blocked === null) next = withoutBlocked(next);
  else if (blocked) next = { ...next, blocked };
  return next;
}
