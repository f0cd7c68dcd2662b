import { refusesRunsListStart, type Compat } from './compat.js';
import { AepError } from './errors.js';
import type { Transport } from './transport.js';
import { RunList, type CallOptions, type Run } from './types.js';

// A service that refuses the runs list's commented-out limit/sortBy may answer the bare list as
// the page's sample shows it, `{ "runs": [...] }`, a page of 20 runs oldest first with neither
// `_page.totalCount` nor a next page named, yet take `start` as the platform's other lists page
// (the Audiences API, the links of a paged runs list). Such a page, read as maybe cut, blocked
// every run step of an audience past 20 runs for good (review runs-40, H-1): the page after it
// is asked for by `start`, and whether the service pages so is remembered per base URL. So is
// the page after one cut short by its count (`_page.totalCount`), as the Audiences API's are.

/**
 * The runs of `first`, a bare list's page naming no next page that is or may be cut (by its
 * count, or at a page without one), and of the pages
 * after it asked by `start` (the runs read so far), in the order listed, a run listed twice
 * once; read to a page shorter than the first (or empty). Undefined where the service does not
 * page by `start`: it refused it (a 400 naming it) or answered the first page's runs again, which
 * is remembered (compat.runsListStartIgnored) and not asked again in this process; a 400 naming
 * nothing, which teaches nothing; or a later page brought no new run (no list to read to its
 * end). Any other failure is the list's.
 */
export async function readFromStart(
  transport: Pick<Transport, 'call'>,
  compat: Compat,
  sandbox: string,
  path: string,
  first: RunList,
  callOptions: CallOptions | undefined,
): Promise<RunList | undefined> {
  const size = first.runs.length;
  if (size === 0 || !compat.runsListStart()) return undefined;
  const runs = new Map<string, Run>(first.runs.map((run) => [run.runId, run]));
  let start = size;
  for (;;) {
    let page: RunList;
    try {
      page = await transport.call(
        sandbox,
        { endpoint: 'listRuns', method: 'GET', path, searchParams: { start } },
        RunList,
        callOptions,
      );
    } catch (error) {
      if (!(error instanceof AepError) || error.status !== 400 || start !== size) throw error;
      // Only a 400 naming `start` is the service's refusal of it: one naming nothing (a
      // gateway's) is remembered as nothing, or it stopped the paging for good (review
      // service-43, M-1); the list is read as maybe cut this once.
      if (refusesRunsListStart(error)) compat.runsListStartIgnored();
      return undefined;
    }
    const fresh = page.runs.filter((run) => !runs.has(run.runId));
    if (page.runs.length > 0 && fresh.length === 0) {
      if (start === size) compat.runsListStartIgnored();
      return undefined;
    }
    compat.runsListStartPaged();
    for (const run of fresh) runs.set(run.runId, run);
    if (page.runs.length < size) break;
    start += page.runs.length;
  }
  return { runs: [...runs.values()], _page: { totalCount: runs.size } };
}
