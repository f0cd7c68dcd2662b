import type { Run } from '../aep/types.js';
import { currentRuns } from './current-runs.js';
import { epochSecondsOf } from './instant.js';
import type { AudienceRecord, RunRecord } from './schema.js';

/**
 * The runs of the record's audience that the service lists (`listed`, newest first) and the
 * record has no trace of, newer than every run it records: a run this store did not start
 * (another state store's, a person's in the UI), or one it started that its state no longer
 * shows (restored from a backup older than the service). A run step that started another one
 * over it would ingest twice what that run took (review 33b, H-1 and M-1), so the step is
 * blocked instead (apply/steps/run.ts), until `state settle-run` records it.
 *
 * "Newer" is by the service's createdAt (whole seconds), against the newest run the record
 * holds: the service's createdAt for it where listed (one clock for both), else the record's.
 * Not the same second: the service refuses a run while another is in progress, so the run after
 * it began at least that run's length later, and runs started outside one second apart are
 * history of that second (a record cut at MAX_RUNS keeps the newest). A record that
 * holds no run of its audience compares with when it took the audience: an imported (or
 * `--adopt`ed) audience's runs from before `imported.at` (shifted by `shift`, seconds into AEP's
 * clock) are its history; one it created (or adopted as its own interrupted create) has no run
 * this store did not start, so every listed run is untraced. Where the listed runs all show one
 * createdAt (the audience's creation time, a reading the page allows), or a run shows none,
 * time cannot tell it from a run recorded since, and it is left out. Pure.
 */
export function untracedRuns(record: AudienceRecord, listed: readonly Run[], shift: number): Run[] {
  const known = new Set(record.runs.map((run) => run.runId));
  const unknown = listed.filter((run) => !known.has(run.runId));
  if (unknown.length === 0) return [];
  // Kept newest first, but an earlier release's record need not be: the latest by its time.
  const newest = currentRuns(record).reduce<RunRecord | undefined>(
    (latest, run) => (latest === undefined || run.createdAt > latest.createdAt ? run : latest),
    undefined,
  );
  if (newest === undefined && !record.imported) return unknown;
  const times = new Set(listed.map((run) => run.createdAt));
  if (listed.length >= 2 && times.size === 1) return [];
  let since: number;
  if (newest !== undefined) {
    since = listed.find((run) => run.runId === newest.runId)?.createdAt ?? newest.createdAt;
    return unknown.filter((run) => run.createdAt !== undefined && run.createdAt > since);
  }
  since = epochSecondsOf(record.imported?.at ?? '') + shift;
  if (!Number.isFinite(since)) return [];
  return unknown.filter((run) => run.createdAt !== undefined && run.createdAt > since);
}
