import { AepError } from './errors.js';
import { DEFAULT_BASE_URL } from './options.js';
import type { Transport } from './transport.js';
import { RunList, type CallOptions, type Run } from './types.js';

// A service that refuses the runs list's commented-out limit/sortBy may still page its bare
// list, naming the next page as the platform's other lists do (`_page.next`, `_links.next.href`,
// as the Audiences API's list, audience-reads.ts). listRuns read such a list as cut, "nothing is
// read from it", so every run step of an audience with more than a page of runs failed (review
// runs-39, M-2). Its pages are read to the end instead.

// The list holds every run the audience ever had, not a day's: a bound of 50 pages ("far past
// the service's runs a day") failed every run step of an audience past 1,000 runs, for good
// (review runs-40, M-4). A service that loops is told by a page that brings no run not read.

/** Whether a runs list answer names a next page. */
export function namesNextPage(list: RunList): boolean {
  return nextName(list) !== undefined;
}

function nextName(list: RunList): { start: string } | { href: string } | undefined {
  const next = list._page?.next;
  if ((typeof next === 'string' && next !== '') || typeof next === 'number') return { start: String(next) };
  const href = linkOf(list._links);
  return href === undefined || href === '' ? undefined : { href };
}

/** `_links.next.href`, where it is a string. */
function linkOf(links: unknown): string | undefined {
  if (typeof links !== 'object' || links === null) return undefined;
  const next: unknown = (links as { next?: unknown }).next;
  if (typeof next !== 'object' || next === null) return undefined;
  const href: unknown = (next as { href?: unknown }).href;
  return typeof href === 'string' ? href : undefined;
}

/**
 * The query a `_links.next.href` asks the list at `path` with: a link to that list (relative, or
 * absolute at the client's base URL's host or at AEP's own), its query asked of the client's base
 * URL, never of the link's host; undefined for a link elsewhere, which may name another list.
 */
function linkQuery(href: string, baseUrl: string, path: string): URLSearchParams | undefined {
  let list: URL;
  let url: URL;
  try {
    list = new URL(`${baseUrl}/${path}`);
    url = new URL(href, list);
  } catch {
    return undefined;
  }
  const platform = new URL(`${DEFAULT_BASE_URL}/${path}`);
  const at = (where: URL) =>
    url.origin === where.origin && url.pathname.replace(/\/+$/, '') === where.pathname.replace(/\/+$/, '');
  return at(list) || at(platform) ? url.searchParams : undefined;
}

function unreadable(sandbox: string, problem: string): AepError {
  return new AepError({
    code: 'AEP_BAD_RESPONSE',
    message: `AEP answered listRuns in sandbox "${sandbox}" with a paged list that cannot be read to its end (${problem}); nothing is read from it: retry later, or report it with the request ids`,
    sandbox,
    endpoint: 'listRuns',
    method: 'GET',
  });
}

/**
 * The runs of `first`, the bare list's first page, and of every page after it, in the order
 * listed (a run listed twice, moved by a run begun between pages, once), and the service's count.
 * Each next page must be further on: one the page itself names, a `start` not past the last, a
 * link elsewhere, or a page after the first that brings no run not read before (naming a next
 * one all the same) are no list to read.
 */
export async function followRunPages(
  transport: Pick<Transport, 'call' | 'baseUrl'>,
  sandbox: string,
  path: string,
  first: RunList,
  callOptions: CallOptions | undefined,
): Promise<RunList> {
  const runs = new Map<string, Run>();
  let page = first;
  let asked = new URLSearchParams();
  for (let read = 1; ; read += 1) {
    const known = runs.size;
    for (const run of page.runs) if (!runs.has(run.runId)) runs.set(run.runId, run);
    const next = nextName(page);
    if (next === undefined) break;
    if (read > 1 && runs.size === known)
      throw unreadable(sandbox, `its page ${read} brings no run not read before, and names a next one`);
    let params: URLSearchParams;
    if ('start' in next) {
      const start = Number(next.start);
      const previous = Number(asked.get('start') ?? 0);
      if (!Number.isSafeInteger(start) || start <= previous)
        throw unreadable(sandbox, `its next page is ${JSON.stringify(next.start)}, after start ${previous}`);
      params = new URLSearchParams({ start: String(start) });
    } else {
      const query = linkQuery(next.href, transport.baseUrl, path);
      if (query === undefined)
        throw unreadable(
          sandbox,
          `its next page is a link audiencectl does not follow, ${JSON.stringify(next.href)}`,
        );
      if (query.toString() === asked.toString())
        throw unreadable(sandbox, `its next page is ${JSON.stringify(next.href)}, the page itself`);
      params = query;
    }
    asked = params;
    page = await transport.call(
      sandbox,
      { endpoint: 'listRuns', method: 'GET', path, searchParams: params },
      RunList,
      callOptions,
    );
  }
  const totalCount = first._page?.totalCount ?? page._page?.totalCount;
  return {
    runs: [...runs.values()],
    _page: totalCount === undefined ? { totalCount: runs.size } : { totalCount },
  };
}
