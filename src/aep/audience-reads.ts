import type { AudienceReads, CallOptions } from './types.js';
import { AepError, isNotFoundAnswer } from './errors.js';
import { AudiencePage, BulkGetAnswer, LiveAudience, type AudienceQuery } from './segment-types.js';
import { pathSegment } from './path-segment.js';
import type { Transport } from './transport.js';

/** Default ids per bulk-get: the page publishes no limit, so batches stay modest. */
export const DEFAULT_BULK_BATCH = 50;
/** Audiences asked for per page of a filtered list. */
const LIST_PAGE = 50;
/** Pages read at most when looking an audience up by name (a name is unique, so one page is usual). */
const NAME_LOOKUP_PAGES = 20;
/** Pages of inactive audiences read at most: a sandbox holds about 4,000 audiences, 80 pages. */
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
    message: `bulk-get gave no usable answer for audience ${key}${status === undefined ? '' : ` (status ${JSON.stringify(status)})`}`,
    sandbox,
    endpoint: 'bulkGetAudiences',
    method: 'POST',
  });
}

/** The `start` of a `_links.next.href` (`@/audiences?start=1&limit=2&totalCount=111`). */
function linkedStart(href: string | undefined): string | undefined {
  if (href === undefined) return undefined;
  const query = href.includes('?') ? href.slice(href.indexOf('?') + 1) : '';
  return new URLSearchParams(query).get('start') ?? undefined;
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

export function audienceReads(transport: Transport): AudienceReads {
  const { call } = transport;

  const listAudiences: AudienceReads['listAudiences'] = async (sandbox, query = {}, options) => {
    const page = await call(
      sandbox,
      {
        endpoint: 'listAudiences',
        method: 'GET',
        api: 'segment',
        path: 'audiences',
        searchParams: searchParams(query),
      },
      AudiencePage,
      options,
    );
    const next = page._page?.next ?? linkedStart(page._links?.next?.href);
    const nextStart = next === undefined || next === null || next === '' ? undefined : Number(next);
    // A next page that cannot be read, or that is not further on, would end the list early or
    // read one page again and again: no answer, rather than a list taken as complete.
    if (nextStart !== undefined && !(Number.isSafeInteger(nextStart) && nextStart > (query.start ?? 0))) {
      throw unreadableList(
        sandbox,
        `its next page is ${JSON.stringify(next)}, after start ${query.start ?? 0}`,
      );
    }
    return {
      audiences: page.children,
      ...(nextStart === undefined ? {} : { next: nextStart }),
      ...(page._page?.totalCount === undefined ? {} : { totalCount: page._page.totalCount }),
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
      // Only the service's 404 (a JSON body) says "no such audience"; a proxy's page is thrown.
      if (isNotFoundAnswer(error)) return undefined;
      throw error;
    }
  };

  /**
   * Every audience of a `property` list, page by page. What was not read may hold the audience
   * looked for: a list that cannot be read to its end, or runs past `maxPages`, is no answer.
   */
  async function readList(
    sandbox: string,
    property: string,
    maxPages: number,
    options: CallOptions | undefined,
    text: { what: string },
  ): Promise<LiveAudience[]> {
    const audiences: LiveAudience[] = [];
    let start: number | undefined = 0;
    for (let page = 0; start !== undefined; page += 1) {
      if (page === maxPages) throw unreadableList(sandbox, `more than ${maxPages} pages of ${text.what}`);
      const result = await listAudiences(sandbox, { property, start, limit: LIST_PAGE }, options);
      audiences.push(...result.audiences);
      const read = start + result.audiences.length;
      if (result.next === undefined && result.totalCount !== undefined && read < result.totalCount) {
        throw unreadableList(sandbox, `it stops at ${read} of its ${result.totalCount} audiences`);
      }
      start = result.audiences.length === 0 ? undefined : result.next;
    }
    return audiences;
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
      for (const answer of answers) {
        for (const [key, value] of Object.entries(answer.results)) {
          const audience = entryOf(sandbox, key, value);
          // Keyed by id; accept an entry whose own id (or audienceId) is one asked for.
          const id = [key, audience?.id, audience?.audienceId].find(
            (candidate) => candidate && found.has(candidate),
          );
          if (id === undefined) continue;
          answered.add(id);
          if (audience) found.set(id, audience);
        }
      }
      // A key left out is not proof of absence: the page leaves inactive audiences out of a
      // list without parameters and does not say whether bulk-get does too. Each is looked up
      // on its own (rare: an audience deleted outside audiencectl); only a 404 there is gone,
      // and a failed lookup fails the read.
      const unanswered = unique.filter((id) => !answered.has(id));
      const confirmed = await Promise.all(unanswered.map((id) => getAudience(sandbox, id, callOptions)));
      unanswered.forEach((id, index) => found.set(id, confirmed[index]));
      return found;
    },
    // Exact comparison here too: a service that ignores `property` still answers correctly.
    findAudiencesByName: async (sandbox, name, options) =>
      (
        await readList(sandbox, `name==${name}`, NAME_LOOKUP_PAGES, options, {
          // Names are unique: pages beyond these mean a service that ignores the filter.
          what: `audiences named ${JSON.stringify(name)} (does the service ignore property=name==...?)`,
        })
      ).filter((audience) => audience.name === name),
    listInactiveAudiences: async (sandbox, options) =>
      readList(sandbox, 'lifecycleState==inactive', INACTIVE_LIST_PAGES, options, {
        what: 'inactive audiences (does the service ignore property=lifecycleState==inactive?)',
      }),
  };
}
