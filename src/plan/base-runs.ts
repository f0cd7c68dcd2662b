import type { DesiredManifest } from '../manifest/load.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord } from '../state/schema.js';
import type { UnreadBase } from './assumed-state.js';
import type { RunClock } from './clock.js';
import { dueRun, durationSeconds, nextDataFilterStart } from './runs.js';
import type { RunRequest } from './schema.js';

// A pull-request plan (`plan --base`) reads no state: it assumes each base audience had a
// successful run that ended as the plan was made (assumed-state.ts), so by itself no periodic
// run is ever due, and each run would start where that one ended. What the change does to the
// schedule is shown instead (review 36b, M-4), and a run's start is left to the apply (M-5).

/** A run the plan shows, and what it adds to the step's reason (`note`), if anything. */
export type DueRun = { run: RunRequest; note?: string };

/** How `ingestion.every` changed from the base's `before`. */
function wasEvery(before: string | undefined): string {
  return before === undefined ? 'added' : `shortened from ${before}`;
}

/**
 * Why a `--base` plan shows a periodic run this change may start at the apply, or undefined:
 * `ingestion.every` added, or shortened, while when the audience last ran is unknown to the
 * plan. One lengthened or kept starts no run the base's schedule would not have started.
 */
function scheduleChanged(desired: DesiredManifest, unread: UnreadBase): string | undefined {
  const every = desired.manifest.ingestion.every;
  if (every === undefined) return undefined;
  const id = recordId(desired.sandbox, desired.key);
  const known = unread.everyAtBase?.has(id) === true;
  const before = unread.everyAtBase?.get(id);
  if (known && before !== undefined && durationSeconds(before) <= durationSeconds(every)) return undefined;
  const was = !known ? 'set (its value on the base is unknown: the base file has errors)' : wasEvery(before);
  return `ingestion.every ${was}; this plan does not know when the audience last ran, so the apply may start it at once (if ${every} has passed since its last run, or since it was applied)`;
}

/**
 * The run an existing audience gets (runs.ts dueRun); in a `--base` plan (`unread`), also the
 * periodic run a schedule this change adds or shortens may start.
 */
export function dueRunOf(
  desired: DesiredManifest,
  record: AudienceRecord,
  clock: RunClock,
  unread: UnreadBase | undefined,
): DueRun | undefined {
  const run = dueRun(desired, record, clock);
  if (unread === undefined) return run && { run };
  if (run) return { run: startAtApply(desired, run) };
  const note = scheduleChanged(desired, unread);
  if (note === undefined) return undefined;
  const every = { reason: 'every', dataFilterStartTime: nextDataFilterStart(desired, record) };
  return { run: startAtApply(desired, every), note };
}

/**
 * A `--base` plan's run of an existing audience: where the manifest sets no dataFilterStartTime,
 * the apply starts it at the end of the audience's last successful run (0 if none), which this
 * plan does not know; the assumed run's end (the plan's time) would show a differential run of
 * the data from now on where the apply may send everything (review 36b, M-5). Marked
 * `fromLastSuccess`, 0 as the start: what it is for an audience that never ran.
 */
function startAtApply(desired: DesiredManifest, run: RunRequest): RunRequest {
  if (desired.manifest.ingestion.dataFilterStartTime !== undefined) return run;
  return { ...run, dataFilterStartTime: 0, fromLastSuccess: true };
}
