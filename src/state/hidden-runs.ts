import type { RunsListed } from '../aep/types.js';
import { currentRuns } from './current-runs.js';
import type { AudienceRecord, RunRecord } from './schema.js';

/**
 * Whether the runs a page of the audience's runs list does not show, `listed.totalCount` less
 * those it lists (an oldest-first page: the newest are past it), are all runs the record
 * holds, so that none is a run this store has no trace of (untraced-runs.ts) or one in progress
 * it does not follow. Told by counting, as the page shows no more (review runs-39, H-1):
 * - the record's runs the page does not show are as many as the runs past it: they are those
 *   runs (each recorded run is one the service answered for this audience);
 * - or the service counts one run more than it did just before the record's newest run was
 *   requested (`countedBefore`): no run has begun since that one, whose own start was held
 *   until the runs before it were known the same way;
 * - or the record holds no run, and the service counts as many as when the audience was
 *   imported (`imported.runsCounted`): none has begun since, so those past the page are its
 *   history from before the import, which no run step holds for.
 * False where the list gives no count. Pure.
 */
export function hiddenRunsRecorded(record: AudienceRecord, listed: Readonly<RunsListed>): boolean {
  const total = listed.totalCount;
  if (total === undefined) return false;
  const shown = new Set(listed.map((run) => run.runId));
  const runs = currentRuns(record);
  if (runs.filter((run) => !shown.has(run.runId)).length === total - listed.length) return true;
  // Imported with no run since, and the service counts what it did then: all history.
  if (runs.length === 0 && record.imported?.runsCounted === total) return true;
  const newest = runs.reduce<RunRecord | undefined>(
    (latest, run) => (latest === undefined || run.createdAt > latest.createdAt ? run : latest),
    undefined,
  );
  return newest?.countedBefore !== undefined && total === newest.countedBefore + 1;
}

/**
 * The `countedBefore` of `runId`, a run the record does not hold, newer than every run it holds,
 * recorded by hand (`state settle-run --run-id`) over the counted page `listed`: the service's
 * count less one, where every other run past the page is one the record holds (told as
 * hiddenRunsRecorded tells it, the run left out), else undefined. Without it the count's chain
 * was cut at the run: past 40 runs (the record keeps its newest MAX_RUNS) every later run step
 * of the audience was held for good, every run recorded (review verify-39, M-2). Pure.
 */
export function countedBeforeSettled(
  record: AudienceRecord,
  listed: Readonly<RunsListed>,
  runId: string,
): number | undefined {
  const total = listed.totalCount;
  if (total === undefined || listed.holdsNewest !== false) return undefined;
  const others = Object.defineProperty(
    listed.filter((run) => run.runId !== runId),
    'totalCount',
    { value: total - 1, enumerable: false },
  ) as RunsListed;
  return hiddenRunsRecorded(record, others) ? total - 1 : undefined;
}
