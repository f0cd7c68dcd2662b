import type { AudienceRecord, RunRecord } from './schema.js';

/**
 * The runs of the audience the record names now, newest first: not those of one deleted
 * outside audiencectl that the record was re-created after (`formerAudienceId`). Those count
 * against the daily run budget only: they are not in progress for the new audience, its first
 * run is still owed, and its data does not start where theirs ended.
 */
export function currentRuns(record: Pick<AudienceRecord, 'runs'>): readonly RunRecord[] {
  // The list itself when no run is marked (nearly always): a plan asks for it per record.
  return record.runs.some((run) => run.formerAudienceId !== undefined)
    ? record.runs.filter((run) => run.formerAudienceId === undefined)
    : record.runs;
}

/** The runs as kept once `audienceId` is gone: each marked as that audience's. */
export function formerRuns(record: Pick<AudienceRecord, 'runs'>, audienceId: string): RunRecord[] {
  return record.runs.map((run) =>
    run.formerAudienceId === undefined ? { ...run, formerAudienceId: audienceId } : run,
  );
}
