import type { AudienceReads, CallOptions } from './types.js';
import type { Compat } from './compat.js';
import { AepError, isNotFoundAnswer } from './errors.js';
import { AudiencePage, BulkGetAnswer, LiveAudience, type AudienceQuery } from './segment-types.js';
import { DEFAULT_BASE_URL } from './options.js';
import { DEFAULT_BULK_BATCH } from './bulk-batch.js';

export { DEFAULT_BULK_BATCH };
import { aisIds } from './audience-ids.js';
import { pathSegment } from './path-segment.js';
import { shownKey } from './answer-key.js';
import { segmentBaseUrl, type Transport } from './transport.js';

/** An audience id no audience has: the list filtered on it holds none (countsMoreThanItLists). */
const COUNT_PROBE_ID = 'audiencectl-count-probe-00000000-0000-0000-0000-000000000000';
/** Audiences asked for per page of a filtered list. */
const LIST_PAGE = 50;
/** Pages read at most when looking an audience up by name (a name is unique, so one page is usual). */
const NAME_LOOKUP_PAGES = 20;
/** Pages of inactive audiences (or of a name part's) read at most: a sandbox holds about 4,000 audiences, 80 pages. */
const INACTIVE_LIST_PAGES = 100;

function searchParams(query: AudienceQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.start !== undefined) params.set('start', String(query.start));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.sort !== undefined) params.set('sort', query.sort);
  const properties = typeof query.property === 'string' ? [query.property] : (query.property ?? []);
  for (const property of properties) params.append('property', property);
  if (query.name !== undefined) params.set('name', query.name);
  if (query.description !== undefined) params.set('description', query.description);
  return params;
}

/**
 * An entry of a bulk-get answer: an audience, or (a `status` 404 entry) nothing. Anything
 * else (another error status, an entry that is not an audience) is no answer at all: the
 * call fails rather than read it as "not found".
 */
function entryOf(sandbox: string, key: string, value: unknown): LiveAudience | undefined {
  const status =
    typeof value === 'object' && value !== null ? (value as { status?: unknown }).status : undefined;
  if (status === 404 || status === '404') return undefined;
  const parsed = LiveAudience.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new AepError({
    code: 'AEP_BAD_RESPONSE',
    message: `bulk-get gave no usable answer for audience ${shownKey(key)}${status === undefined ? '' : ` (status ${JSON.stringify(status)})`}`,
    sandbox,
    endpoint: 'bulkGetAudiences',
    method: 'POST',
  });
}

/** The path of the list as the page's links write it (`@/audiences?start=1&limit=2&totalCount=111`). */
const LIST_LINK = '@/audiences';
/** The list on AEP's own host: `https://platform.adobe.io/data/core/ups/audiences`. */
const PLATFORM_LIST = new URL(`${segmentBaseUrl(DEFAULT_BASE_URL)}/audiences`);

/**
 * The request of the next page: at a `start`, or (a link that names no start: a cursor) the
 * link's own query, followed as the service wrote it.
 */
type NextPage = { params: URLSearchParams } & ({ start: number } | { link: string });

/** A URL's path without trailing slashes: `.../audiences/` names the list as `.../audiences` does. */
const pathOf = (url: URL) => url.pathname.replace(/\/+$/, '');

/**
 * The query of a `_links.next.href` that names the list read (`segmentUrl` the client's
 * Audiences API base URL); undefined for a link elsewhere. `@/` stands for that base URL; any
 * other href is resolved against the list's URL (`/data/core/ups/audiences?…`, `?start=50`,
 * `https://host/…`), and names the list when its host and path are the list's.
 *
 * A link at AEP's own list (`https://platform.adobe.io/data/core/ups/audiences?…`) names the list
 * too while the client talks to another host: a gateway or proxy in front of AEP commonly passes
 * AEP's answers on unchanged, links and all, and a user who set that base URL expects the list to
 * be read through it (as it was when only the link's `start` was read). Only the link's query is
 * taken: the next page is asked of the client's own base URL, never of the link's host, so the
 * token goes nowhere the user did not name. A link at any other host or path may name another
 * list; its query read at the client's list would read something else, so it is refused.
 */
function linkQuery(href: string, segmentUrl: string): URLSearchParams | undefined {
  let list: URL;
  let url: URL;
  try {
    list = new URL(`${segmentUrl}/audiences`);
    url = new URL(href.startsWith('@/') ? `${segmentUrl}${href.slice(1)}` : href, list);
  } catch {
    return undefined;
  }
  const at = (where: URL) => url.origin === where.origin && pathOf(url) === pathOf(where);
  return at(list) || at(PLATFORM_LIST) ? url.searchParams : undefined;
}

/** The same parameters, whatever their order (`a=1&b=2` is `b=2&a=1`). */
function sameParams(one: URLSearchParams, other: URLSearchParams): boolean {
  const pairs = (params: URLSearchParams) =>
    [...params]
      .map((pair) => JSON.stringify(pair))
      .sort()
      .join('&');
  return pairs(one) === pairs(other);
}

/**
 * The request a cursor link asks for: the link's query as it is, and what the list was asked
 * with that the link leaves out (the filter, the page size), so a service whose cursor does not
 * carry the filter still answers the list asked for. Never the old `start`: the cursor replaces it.
 */
function followed(link: URLSearchParams, asked: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams(link);
  for (const key of new Set(asked.keys())) {
    if (key === 'start' || params.has(key)) continue;
    for (const value of asked.getAll(key)) params.append(key, value);
  }
  return params;
}

/** The audience list's pages cannot be followed to the end. */
function unreadableList(sandbox: string, problem: string): AepError {
  return new AepError({
    code: 'AEP_BAD_RESPONSE',
    message: `AEP answered listAudiences in sandbox "${sandbox}" with a list that cannot be read to its end (${problem}); nothing is read as "not found": retry later, or report it with the request ids`,
    sandbox,
    endpoint: 'listAudiences',
    method: 'GET',
  });
}

export function audienceReads(transport: Transport, compat: Compat): AudienceReads {
  const { call, segmentUrl } = transport;
  /** What a lookup by name or state returns: each audience under its /core/ais id (audience-ids.ts). */
  const asAis = aisIds(transport, compat);

  /**
   * One page of the list asked with `params` (`start` its offset, when known), and the request
   * of its next page. A page names its next one in `_page.next` or `_links.next`; one it names
   * that cannot be followed, that is not further on, or a cursor that names the page itself, is
   * no answer (reading on would end the list early, or read the page again), never the last page.
   * A longer cycle of cursors ends at the caller's page cap.
   */
  async function readPage(
    sandbox: string,
    params: URLSearchParams,
    start: number | undefined,
    options: CallOptions | undefined,
  ): Promise<{ audiences: LiveAudience[]; next?: NextPage; totalCount?: number }> {
    const page = await call(
      sandbox,
      { endpoint: 'listAudiences', method: 'GET', api: 'segment', path: 'audiences', searchParams: params },
      AudiencePage,
      options,
    );
    const result = {
      audiences: page.children,
      ...(page._page?.totalCount === undefined ? {} : { totalCount: page._page.totalCount }),
    };
    const startAt = (next: string | number): { next: NextPage } => {
      const nextStart = Number(next);
      if (next === '' || !Number.isSafeInteger(nextStart) || nextStart <= (start ?? 0)) {
        throw unreadableList(sandbox, `its next page is ${JSON.stringify(next)}, after start ${start ?? 0}`);
      }
      const nextParams = new URLSearchParams(params);
      nextParams.set('start', String(nextStart));
      return { next: { start: nextStart, params: nextParams } };
    };
    // An empty `_page.next` names no page: the link beside it may.
    const named = page._page?.next;
    if (named !== undefined && named !== null && named !== '') return { ...result, ...startAt(named) };
    const href = page._links?.next?.href;
    if (href === undefined || href === '') return result;
    const linked = linkQuery(href, segmentUrl);
    if (linked === undefined) {
      throw unreadableList(
        sandbox,
        `its next page is a link audiencectl does not follow, ${JSON.stringify(href)}: only one to the list it reads (${LIST_LINK}?…, or its path at the base URL's host or at platform.adobe.io) is`,
      );
    }
    const linkedStart = linked.get('start');
    if (linkedStart !== null) return { ...result, ...startAt(linkedStart) };
    // A cursor: the link is followed as the service wrote it.
    const nextParams = followed(linked, params);
    if (sameParams(nextParams, params)) {
      throw unreadableList(sandbox, `its next page is ${JSON.stringify(href)}, the page itself`);
    }
    return { ...result, next: { link: href, params: nextParams } };
  }

  const listAudiences: AudienceReads['listAudiences'] = async (sandbox, query = {}, options) => {
    const page = await readPage(sandbox, searchParams(query), query.start, options);
    // A cursor link has no start to give: a page that names a next page is not the last one.
    if (page.next !== undefined && !('start' in page.next)) {
      throw unreadableList(
        sandbox,
        `its next page is ${JSON.stringify(page.next.link)}, a link without a start, which one page read on its own cannot give`,
      );
    }
    return {
      audiences: page.audiences,
      ...(page.next === undefined ? {} : { next: page.next.start }),
      ...(page.totalCount === undefined ? {} : { totalCount: page.totalCount }),
    };
  };

  const getAudience: AudienceReads['getAudience'] = async (sandbox, id, options) => {
    try {
      return await call(
        sandbox,
        {
          endpoint: 'getAudience',
          method: 'GET',
          api: 'segment',
          path: `audiences/${pathSegment(id, 'audienceId')}`,
        },
        LiveAudience,
        options,
      );
    } catch (error) {
      // Only the service's 404 (a JSON body) says "no such id"; a proxy's page is thrown.
      if (!isNotFoundAnswer(error)) throw error;
    }
    return byAudienceId(sandbox, id, options);
  };

  /**
   * The audience whose `audienceId` is `id`, where its lookup by `id` was the service's 404.
   * The page's notes read an external audience's `id` there as its /core/ais audienceId, and
   * say to "accept a match on `audienceId`": a service that shows it under an `id` of its own
   * answers that lookup (and bulk-get) with nothing, and read so, a refresh re-created every
   * audience and a removed manifest's was forgotten, never deleted. The page's own filter
   * example, `property=audienceId==…`, lists inactive audiences too. undefined only when that
   * list, read to its end, holds none; two of that audienceId are no answer.
   */
  async function byAudienceId(
    sandbox: string,
    id: string,
    options: CallOptions | undefined,
  ): Promise<LiveAudience | undefined> {
    const listed = await readList(sandbox, { property: `audienceId==${id}` }, NAME_LOOKUP_PAGES, options, {
      what: `audiences of audienceId ${JSON.stringify(id)} (does the service ignore property=audienceId==...?)`,
    });
    // Exact here too: a service that ignores `property` lists others.
    const matches = listed.filter((audience) => audience.audienceId === id || audience.id === id);
    if (matches.length > 1) {
      throw new AepError({
        code: 'AEP_BAD_RESPONSE',
        message: `AEP answered GET /audiences/${id} in sandbox "${sandbox}" with 404, and lists ${matches.length} audiences of audienceId ${id} (ids ${matches.map((audience) => audience.id).join(', ')}): which one is meant cannot be told, so none is read as it, nor as gone`,
        sandbox,
        endpoint: 'listAudiences',
        method: 'GET',
      });
    }
    const [match] = matches;
    // Listed under an id of its own, its audienceId field the one asked for: the service's reading.
    if (match !== undefined && match.id !== id && match.audienceId === id)
      compat.audienceIdsLearned('distinct');
    return match;
  }

  /**
   * Every audience of a `property` list, page by page. What was not read may hold the audience
   * looked for: a list that cannot be read to its end, or runs past `maxPages`, is no answer.
   */
  async function readList(
    sandbox: string,
    filter: Pick<AudienceQuery, 'property' | 'name'>,
    maxPages: number,
    options: CallOptions | undefined,
    text: { what: string },
  ): Promise<LiveAudience[]> {
    const audiences: LiveAudience[] = [];
    /** The ids read so far: an audience a page repeats is read once. */
    const read = new Set<string>();
    let params = searchParams({ ...filter, start: 0, limit: LIST_PAGE });
    let start: number | undefined = 0;
    /** The list's size as the service last gave it. */
    let totalCount: number | undefined;
    for (let page = 0; ; page += 1) {
      if (page === maxPages) throw unreadableList(sandbox, `more than ${maxPages} pages of ${text.what}`);
      const result = await readPage(sandbox, params, start, options);
      // A page may repeat audiences already read: an offset list shifted by an audience made
      // between two pages begins with the last one read. Counted again, such copies filled the
      // list's count, so a list some audiences of which were never read was taken as read to its
      // end (review service-43, M-2). A later page of audiences all read before (the service
      // answering the page asked with an earlier one) is no list to read.
      const fresh = result.audiences.filter((audience) => !read.has(audience.id));
      if (page > 0 && result.audiences.length > 0 && fresh.length === 0) {
        throw unreadableList(sandbox, `its page ${page + 1} brings no audience not read before`);
      }
      for (const audience of fresh) read.add(audience.id);
      audiences.push(...fresh);
      totalCount = result.totalCount ?? totalCount;
      // An empty page once all the audiences the list holds are read ends it, even when it names
      // a next page (a service that names one after its last page, or on its last page).
      if (result.audiences.length === 0 && totalCount !== undefined && audiences.length >= totalCount) {
        return audiences;
      }
      // Another empty page that names a next one is read on (within maxPages): a page may have
      // been left empty, and only the last page ends the list; the audiences read by then must
      // be all it says it holds.
      if (result.next === undefined) {
        if (result.totalCount !== undefined && audiences.length < result.totalCount) {
          const short = unreadableList(
            sandbox,
            `it stops at ${audiences.length} of its ${result.totalCount} audiences`,
          );
          if (!(await countsMoreThanItLists(sandbox, options, short))) throw short;
        }
        return audiences;
      }
      start = 'start' in result.next ? result.next.start : undefined;
      params = result.next.params;
    }
  }

  /**
   * Whether the service's `_page.totalCount` counts more than a list holds. The page's sample
   * counts a bare list only: a service may count the whole sandbox whatever the filter, and a
   * list read to its last page then always stops short of its count (every name lookup failed,
   * review emulator-41, 3). The same list filtered on an id no audience has tells: counted
   * above 0 while it lists none, the count is not the list's (`other`, remembered: such a list
   * is read to its last page, its count unread); counted 0, it is (`listed`): a list short of it
   * lost audiences on the way, and stays an error (`short`). A probe that fails is no answer:
   * `short` is thrown.
   */
  async function countsMoreThanItLists(
    sandbox: string,
    options: CallOptions | undefined,
    short: AepError,
  ): Promise<boolean> {
    // Known to count more: no probe. Known to count the list, it is asked again (only a list
    // that stops short costs it): a remembered reading is never trusted to fail a lookup.
    if (compat.audiencesTotalCount() === 'other') return true;
    const probe = searchParams({ property: `audienceId==${COUNT_PROBE_ID}`, start: 0, limit: 1 });
    let page: Awaited<ReturnType<typeof readPage>>;
    try {
      page = await readPage(sandbox, probe, 0, options);
    } catch (error) {
      if (options?.signal?.aborted) throw error;
      throw short;
    }
    if (page.audiences.length > 0 || page.totalCount === undefined) throw short;
    compat.audiencesTotalCountLearned(page.totalCount > 0 ? 'other' : 'listed');
    return page.totalCount > 0;
  }

  return {
    listAudiences,
    getAudience,
    bulkGetAudiences: async (sandbox, ids, options = {}) => {
      const size = Math.max(1, options.batchSize ?? DEFAULT_BULK_BATCH);
      const unique = [...new Set(ids)];
      const batches: string[][] = [];
      for (let index = 0; index < unique.length; index += size)
        batches.push(unique.slice(index, index + size));
      const callOptions = options.signal ? { signal: options.signal } : {};
      const answers = await Promise.all(
        batches.map((batch) =>
          call(
            sandbox,
            {
              endpoint: 'bulkGetAudiences',
              method: 'POST',
              readOnly: true,
              api: 'segment',
              path: 'audiences/bulk-get',
              json: { ids: batch.map((id) => ({ id })) },
            },
            BulkGetAnswer,
            callOptions,
          ),
        ),
      );
      const found = new Map<string, LiveAudience | undefined>(unique.map((id) => [id, undefined]));
      /** Ids the answer spoke of: an audience, or an entry saying 404. */
      const answered = new Set<string>();
      /** Ids answered with a 404 entry. */
      const said404 = new Set<string>();
      for (const answer of answers) {
        for (const [key, value] of Object.entries(answer.results)) {
          // A `null` entry is the key left out, written as a service that keeps unset
          // properties writes it: looked up on its own below, never read as gone.
          if (value === null) continue;
          const audience = entryOf(sandbox, key, value);
          // Keyed by id; accept an entry whose own id (or audienceId) is one asked for.
          const id = [key, audience?.id, audience?.audienceId].find(
            (candidate) => candidate && found.has(candidate),
          );
          if (id === undefined) continue;
          if (audience) {
            answered.add(id);
            found.set(id, audience);
          } else said404.add(id);
        }
      }
      // A 404 entry says the id is no key of the Audiences API's, which it never is of an
      // audience listed under an id of its own (audience-ids.ts): unless the service is known to
      // list audiences under their /core/ais id, each is looked for by its audienceId
      // (byAudienceId: one list, as GET /audiences/{id} would only say 404 again). Read as gone
      // at once, against such a service a refresh found every audience deleted.
      const trusted = compat.audienceIds() === 'same';
      const checked = [...said404].filter((id) => !trusted && !answered.has(id));
      const listed = await Promise.all(checked.map((id) => byAudienceId(sandbox, id, callOptions)));
      checked.forEach((id, index) => found.set(id, listed[index]));
      for (const id of said404) answered.add(id);
      // A key left out is not proof of absence: the page leaves inactive audiences out of a
      // list without parameters and does not say whether bulk-get does too. Each is looked up
      // on its own (rare: an audience deleted outside audiencectl); only a 404 there is gone,
      // and a failed lookup fails the read.
      // Known to list audiences under ids of their own, the service answers GET /audiences/{id}
      // of a /core/ais id with the 404 the bulk-get's silence already said: its list by audienceId
      // alone is asked (one request an audience, not two, on every refresh).
      const unanswered = unique.filter((id) => !answered.has(id));
      const lookUp = compat.audienceIds() === 'distinct' ? byAudienceId : getAudience;
      const confirmed = await Promise.all(unanswered.map((id) => lookUp(sandbox, id, callOptions)));
      unanswered.forEach((id, index) => found.set(id, confirmed[index]));
      return found;
    },
    // Exact comparison here too: a service that ignores `property` still answers correctly.
    findAudiencesByName: async (sandbox, name, options) => {
      const listed = await readList(sandbox, { property: `name==${name}` }, NAME_LOOKUP_PAGES, options, {
        // Names are unique: pages beyond these mean a service that ignores the filter.
        what: `audiences named ${JSON.stringify(name)} (does the service ignore property=name==...?)`,
      });
      return asAis(
        sandbox,
        listed.filter((audience) => audience.name === name),
        options,
      );
    },
    listInactiveAudiences: async (sandbox, options) =>
      asAis(
        sandbox,
        await readList(sandbox, { property: 'lifecycleState==inactive' }, INACTIVE_LIST_PAGES, options, {
          what: 'inactive audiences (does the service ignore property=lifecycleState==inactive?)',
        }),
        options,
      ),
    // As many pages as a sandbox holds audiences: a short part of a name may be in many.
    findAudiencesNameContains: async (sandbox, part, options) =>
      asAis(
        sandbox,
        await readList(sandbox, { name: part }, INACTIVE_LIST_PAGES, options, {
          what: `audiences whose name contains ${JSON.stringify(part)}`,
        }),
        options,
      ),
  };
}
