import { RunsListCutError } from '../aep/runs-list-cut.js';
import type { AepClient } from '../aep/types.js';
import { AudiencectlError } from '../errors.js';

// A run step over a runs page cut short by its count, oldest first, starts its run only where
// the runs past the page are runs the record holds (state/hidden-runs.ts). An imported
// audience's record holds none of its history: with more than a page of it, every run step was
// blocked for good (review runs-40, M-1). The service's count as the import recorded it says
// no run has begun since, while it has not moved.

/** What one read of an audience's runs list says of its count. */
type RunsCountRead =
  { kind: 'counted'; count: number } | { kind: 'uncounted' } | { kind: 'failed'; why: string };

async function readRunsCount(
  client: Pick<AepClient, 'listRuns'>,
  sandbox: string,
  audienceId: string,
  signal?: AbortSignal,
): Promise<RunsCountRead> {
  try {
    const { totalCount } = await client.listRuns(sandbox, audienceId, signal ? { signal } : {});
    return totalCount === undefined ? { kind: 'uncounted' } : { kind: 'counted', count: totalCount };
  } catch (error) {
    // Stopped: the command writes nothing, rather than the import without its count.
    if (signal?.aborted) throw error;
    // A page cut short by its count answers: the count is what is asked.
    if (error instanceof RunsListCutError) {
      const count = error.listed.totalCount;
      return count === undefined ? { kind: 'uncounted' } : { kind: 'counted', count };
    }
    return { kind: 'failed', why: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The service's count of the audience's runs (`_page.totalCount`), read once; undefined where
 * the list gives none or fails (a plain `state import` is recorded all the same, without it).
 */
export async function runsCountNow(
  client: Pick<AepClient, 'listRuns'>,
  sandbox: string,
  audienceId: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const read = await readRunsCount(client, sandbox, audienceId, signal);
  return read.kind === 'counted' ? read.count : undefined;
}

/**
 * The runs list of an audience being taken over failed where its count is read: nothing is
 * recorded for it. Recorded without the count, every later run step of an audience with more
 * than a page of runs was blocked, as though the list had given none (review verify-41, 1).
 */
export class RunsCountUnreadError extends AudiencectlError {
  override readonly name = 'RunsCountUnreadError';

  constructor(sandbox: string, audienceId: string, why: string) {
    super(
      'RUNS_COUNT_UNREAD',
      `the runs of audience ${audienceId} (sandbox ${sandbox}) could not be listed to count them (${why}): it is not taken over without the count, which tells its runs past a page of the list from runs this state store has no trace of; nothing is recorded for it: run again once the list answers`,
    );
  }
}

/**
 * The service's count of the runs of an audience taken over now (`state import --discover`,
 * adoption), with `now()` just after it was read, the time it is recorded as imported at;
 * undefined where the list gives no count. Without it an audience taken over with more than a
 * page of runs had every run step blocked for good, as a plain import's had (review runs-41, H-1).
 * A list that fails is no answer: RunsCountUnreadError.
 */
export async function importedRunsCount(
  client: Pick<AepClient, 'listRuns'>,
  sandbox: string,
  audienceId: string,
  now: () => number,
  signal?: AbortSignal,
): Promise<{ at: string; runsCounted: number } | undefined> {
  const read = await readRunsCount(client, sandbox, audienceId, signal);
  if (read.kind === 'failed') throw new RunsCountUnreadError(sandbox, audienceId, read.why);
  return read.kind === 'uncounted'
    ? undefined
    : { at: new Date(now()).toISOString(), runsCounted: read.count };
}
