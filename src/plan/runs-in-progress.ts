import { compareText } from '../text/compare.js';
import type { LoadResult } from '../manifest/load.js';
import { currentRuns } from '../state/current-runs.js';
import { recordId } from '../state/record-id.js';
import { withRun } from '../state/run-answer.js';
import type { AudienceRecord, RecordedState, RunRecord } from '../state/schema.js';
import { isRunFinal } from './runs.js';
import type { RunInProgress, RunsRead, Step } from './schema.js';

// A run an apply or a pass left after --run-wait is read again before the next plan (at the
// edge: apply/left-runs.ts), so that its end is known to the plan: the next `every` run is timed
// from it, a failure is shown, and no run starts over one that may still be running.

/** `recorded` with each run read again as the service answered it; the same state without any. */
export function withRunsRead(recorded: RecordedState, view: RunsRead | undefined): RecordedState {
  if (view === undefined || Object.keys(view).length === 0) return recorded;
  const audiences = recorded.audiences.map((record) => {
    const read = view[recordId(record.sandbox, record.key)];
    return read?.kind === 'read' ? { ...record, runs: withRun(record.runs, read.run) } : record;
  });
  return { ...recorded, audiences };
}

/** The newest run of the record's audience, when it is not final. */
export function runLeftInProgress(record: AudienceRecord): AudienceRecord['runs'][number] | undefined {
  // Runs are kept newest first (record-changes.ts).
  const newest = currentRuns(record)[0];
  return newest && !isRunFinal(newest) ? newest : undefined;
}

/**
 * The audiences whose run read again (the view holds desired audiences only) is still in
 * progress, or could not be read, and that this plan starts no run for: a run step says itself
 * that it waits for one.
 */
export function runsInProgress(
  records: ReadonlyMap<string, AudienceRecord>,
  view: RunsRead | undefined,
  steps: readonly Step[],
): RunInProgress[] {
  if (view === undefined || Object.keys(view).length === 0) return [];
  const running = new Set(steps.filter((s) => s.kind === 'run').map((s) => recordId(s.sandbox, s.key)));
  const out: RunInProgress[] = [];
  for (const [id, read] of Object.entries(view)) {
    const record = records.get(id);
    const run = record ? runLeftInProgress(record) : undefined;
    if (!record || !run || running.has(id)) continue;
    const unread = read.kind === 'unread' && read.runId === run.runId ? { unread: read.why } : {};
    out.push({ sandbox: record.sandbox, key: record.key, runId: run.runId, status: run.status, ...unread });
  }
  return out.sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
}

/** A desired audience's record whose newest run is not final, its audience's id, and that run. */
export type LeftRun = { id: string; record: AudienceRecord; audienceId: string; run: RunRecord };

/**
 * The runs left in progress of the desired audiences: records with an audience id and no intent
 * (a run intent's request is settled by resume.ts, from the runs list) whose newest run is not
 * final.
 */
export function leftRuns(desired: LoadResult, recorded: RecordedState): LeftRun[] {
  const left: LeftRun[] = [];
  for (const record of recorded.audiences) {
    const { audienceId } = record;
    if (audienceId === undefined || record.intent !== undefined) continue;
    const run = runLeftInProgress(record);
    if (run) left.push({ id: recordId(record.sandbox, record.key), record, audienceId, run });
  }
  // Nearly always none: the set of desired ids is built only when some are left.
  if (left.length === 0) return left;
  const wanted = new Set(desired.manifests.map((m) => recordId(m.sandbox, m.key)));
  return left.filter((entry) => wanted.has(entry.id));
}

/** Each left run as unread, for `why` (no credentials to read it with). */
export function unreadRuns(left: readonly LeftRun[], why: string): RunsRead {
  return Object.fromEntries(left.map(({ id, run }) => [id, { kind: 'unread', runId: run.runId, why }]));
}
