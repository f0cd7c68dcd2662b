import { afterEach, describe, expect, it } from 'vitest';
import { createAepClient } from '../../src/aep/client.js';
import { clientOfFake, json, LIMIT_REFUSED, startFakeAep, type FakeAep } from '../aep/fake-aep.js';

// Review runs-39 M-2: a service that refuses the runs list's commented-out limit/sortBy and
// answers the bare list a page of 20 at a time, oldest first, naming its next page as the
// platform's other lists do (`_page.next`, `_links.next.href`, as the Audiences API's list).
// listRuns never follows it: the list is "cut", and an error ("the newest runs may be
// missing, so nothing is read from it"), so every run step of an audience with more than 20
// runs fails, though the whole list was there to read.

const AUDIENCE = 'aud-1';
const NOW = 1_796_000_000;
const PATH = `/data/core/ais/external-audience/${AUDIENCE}/runs`;
const allRuns = Array.from({ length: 25 }, (_, i) => ({
  runId: `run-${String(i).padStart(2, '0')}`,
  audienceId: AUDIENCE,
  status: 'SUCCESS',
  dataFilterStartTime: 1_700_000_000 + i,
  createdAt: NOW - (24 - i) * 3600,
}));

let fake: FakeAep | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const pagings = [
  {
    name: '_page.next',
    next: (start: number) => ({ _page: { limit: 20, count: 20, totalCount: 25, next: String(start) } }),
  },
  {
    name: '_links.next.href',
    next: (start: number) => ({
      _page: { limit: 20, count: 20, totalCount: 25 },
      _links: { next: { href: `${PATH}?start=${start}` } },
    }),
  },
] as const;

describe.each(pagings)('a bare runs list of 25 runs paged at 20, oldest first, by $name', ({ next }) => {
  it('is read to its end, newest first, as a whole list', async () => {
    fake = await startFakeAep();
    fake.fallback((request) => {
      if (request.url.includes('limit=') || request.url.includes('sortBy=')) return LIMIT_REFUSED;
      if (request.url.endsWith('start=20'))
        return json(200, { runs: allRuns.slice(20), _page: { limit: 20, count: 5, totalCount: 25 } });
      return json(200, { runs: allRuns.slice(0, 20), ...next(20) });
    });
    const client = clientOfFake(fake);
    const listed = await client.listRuns('prod', AUDIENCE);
    expect(listed.map((run) => run.runId)).toEqual(allRuns.map((run) => run.runId).reverse());
    expect(listed.complete).toBe(true);
  });
});

describe('a bare runs list whose pages cannot be read to the end', () => {
  const serve = (first: object, then: object) => (request: { url: string }) => {
    if (request.url.includes('limit=') || request.url.includes('sortBy=')) return LIMIT_REFUSED;
    return json(200, request.url.includes('start=') || request.url.includes('cursor=') ? then : first);
  };
  const client = () =>
    createAepClient({
      baseUrl: fake!.apiBaseUrl,
      imsUrl: fake!.imsUrl,
      defaultAccess: {
        credentials: { clientId: 'page-client', clientSecret: 'page-secret-value', orgId: 'PAGE@AdobeOrg' },
        budget: { requests: 1000, intervalMs: 1000, concurrency: 8 },
      },
      retry: { baseDelayMs: 1, maxDelayMs: 5, rateLimitPauseMs: 200 },
    });

  it('a short page without a count that names a next page is read on, not taken as the whole list', async () => {
    fake = await startFakeAep();
    fake.fallback(
      serve({ runs: allRuns.slice(0, 10), _page: { next: '10' } }, { runs: allRuns.slice(10, 12) }),
    );
    const listed = await client().listRuns('prod', AUDIENCE);
    expect(listed.map((run) => run.runId)).toEqual(
      allRuns
        .slice(0, 12)
        .map((run) => run.runId)
        .reverse(),
    );
    expect(listed.complete).toBe(true);
  });

  it('a next page that is the page itself, or a link elsewhere, fails the list: never "these are all"', async () => {
    fake = await startFakeAep();
    const page = { runs: allRuns.slice(0, 20), _page: { totalCount: 25 } };
    fake.fallback(serve({ ...page, _links: { next: { href: PATH } } }, page));
    await expect(client().listRuns('prod', AUDIENCE)).rejects.toThrow(/its next page is .*, the page itself/);
    await fake.close();
    fake = await startFakeAep();
    fake.fallback(
      serve({ ...page, _links: { next: { href: `https://elsewhere.example${PATH}?start=20` } } }, page),
    );
    await expect(client().listRuns('prod', AUDIENCE)).rejects.toThrow(/a link audiencectl does not follow/);
    expect(fake.requests.map((request) => new URL(request.url, 'http://x').host)).not.toContain(
      'elsewhere.example',
    );
  });
});
