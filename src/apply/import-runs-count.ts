import { RunsListCutError } from '../aep/runs-list-cut.js';
import type { AepClient } from '../aep/types.js';

// A run step over a runs page cut short by its count, oldest first, starts its run only where
// the runs past the page are runs the record holds (state/hidden-runs.ts). An imported
// audience's record holds none of its history: with more than a page of it, every run step was
// blocked for good (review runs-40, M-1). The service's count as the import recorded it says
// no run has begun since, while it has not moved.

/**
 * The service's count of the audience's runs (`_page.totalCount`), read once; undefined where
 * the list gives none or fails (the import is recorded all the same, without it).
 */
export async function runsCountNow(
  client: Pick<AepClient, 'listRuns'>,
  sandbox: string,
  audienceId: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  try {
    return (await client.listRuns(sandbox, audienceId, signal ? { signal } : {})).totalCount;
  } catch (error) {
    // Stopped: the command writes nothing, rather than the import without its count.
    if (signal?.aborted) throw error;
    return error instanceof RunsListCutError ? error.listed.totalCount : undefined;
  }
}

/**
 * The service's count of the runs of an audience taken over now (`state import --discover`,
 * adoption), with `now()` just after it was read, the time it is recorded as imported at;
 * undefined where the list gives no count. Without it an audience taken over with more than a
 * page of runs had every run step blocked for good, as a plain import's had (review runs-41, H-1).
 */
export async function importedRunsCount(
  client: Pick<AepClient, 'listRuns'>,
  sandbox: string,
  audienceId: string,
  now: () => number,
  signal?: AbortSignal,
): Promise<{ at: string; runsCounted: number } | undefined> {
  const count = await runsCountNow(client, sandbox, audienceId, signal);
  return count === undefined ? undefined : { at: new Date(now()).toISOString(), runsCounted: count };
}
