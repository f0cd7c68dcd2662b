import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAlteringProxy, type AlteringProxy, type Answer } from '../helpers/altering-proxy.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { clientFor, failure, spec } from './helpers.js';

/**
 * The Audiences API's list names its next page twice (`_page.next` and `_links.next`, both in
 * the page's sample): either is followed, and a list that says it holds more than it led to is
 * not read as complete. The emulator answers through a proxy that leaves one spelling out.
 */
describe('pages of the Audiences API list', () => {
  const emulator = useEmulator({ operationDelayMs: 0 });
  let proxy: AlteringProxy;
  beforeAll(async () => {
    proxy = await startAlteringProxy(emulator().url);
  });
  afterAll(async () => {
    await proxy.close();
  });
  // A failed case leaves no alteration behind for the next one.
  afterEach(() => {
    proxy.alter(undefined);
    proxy.rewrite(undefined);
  });

  const aep = () => clientFor(emulator(), { baseUrl: `${proxy.url}/data/core/ais` });
  const isList = (answer: Answer) => answer.path === '/data/core/ups/audiences';
  /** The answer without `_page.next`; without `_links.next` too unless `links`. */
  const withoutNext = (answer: Answer, links: boolean) => {
    const body = answer.body as { _page?: Record<string, unknown>; _links?: unknown };
    const page = { ...body._page };
    delete page['next'];
    return { ...body, _page: page, ...(links ? {} : { _links: {} }) };
  };

  it('follows _links.next when _page.next is left out', async () => {
    const tag = `links-${Math.random().toString(36).slice(2, 8)}`;
    for (const letter of ['a', 'b', 'c']) {
      emulator().control.uiCreateAudience(
        emulator().client.orgId,
        'pages',
        spec({ name: `${tag} ${letter}` }),
      );
    }
    proxy.alter((answer) => (isList(answer) ? withoutNext(answer, true) : undefined));
    const first = await aep().listAudiences('pages', { name: tag, sort: 'name:asc', limit: 2 });
    proxy.alter(undefined);
    expect(first.audiences.map((a) => a.name)).toEqual([`${tag} a`, `${tag} b`]);
    expect(first.next).toBe(2);
  });

  it('a name lookup whose list stops before its totalCount fails, rather than find fewer', async () => {
    const name = `Crowded ${Math.random().toString(36).slice(2, 8)}`;
    // 51 audiences of one name (admin only): more than one page of 50.
    for (let i = 0; i < 51; i += 1) {
      emulator().control.uiCreateAudience(emulator().client.orgId, 'pages', spec({ name }), 'x@AdobeID', {
        duplicateName: true,
      });
    }
    expect(await aep().findAudiencesByName('pages', name)).toHaveLength(51);
    // The next page named nowhere, while the list says it holds 51.
    proxy.alter((answer) => (isList(answer) ? withoutNext(answer, false) : undefined));
    const error = await failure(aep().findAudiencesByName('pages', name));
    proxy.alter(undefined);
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect(error.message).toMatch(/stops at 50 of its 51 audiences/);
  });

  /** 51 audiences of one new name in sandbox `pages`: two pages of 50. */
  function crowd(): string {
    const name = `Crowded ${Math.random().toString(36).slice(2, 8)}`;
    for (let i = 0; i < 51; i += 1) {
      emulator().control.uiCreateAudience(emulator().client.orgId, 'pages', spec({ name }), 'x@AdobeID', {
        duplicateName: true,
      });
    }
    return name;
  }

  /** The emulator's `start` links as cursor links (`href` of the start) and no `_page`: a cursor-paged service. */
  const cursorLinks = (href: (start: string) => string) => (answer: Answer) => {
    if (!isList(answer)) return undefined;
    const body = answer.body as { children: unknown[]; _links?: { next?: { href: string } } };
    const link = body._links?.next?.href;
    const start = link === undefined ? null : new URL(link.slice(1), 'http://x').searchParams.get('start');
    return { children: body.children, ...(start ? { _links: { next: { href: href(start) } } } : {}) };
  };
  const cursorOf = (start: string) => Buffer.from(JSON.stringify({ start })).toString('base64url');

  it('follows a _links.next that names no start (a cursor), with its own filter kept', async () => {
    const name = crowd();
    const filters: string[][] = [];
    proxy.alter((answer) => {
      if (isList(answer)) filters.push(answer.query.getAll('property'));
      return cursorLinks((start) => `@/audiences?cursor=${cursorOf(start)}&limit=50`)(answer);
    });
    // The service reads its cursor: here, the proxy turns it back into the emulator's start.
    proxy.rewrite((url) =>
      url.replace(/cursor=([\w-]+)/, (_all, cursor: string) => {
        const { start } = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { start: string };
        return `start=${start}`;
      }),
    );
    const found = await aep().findAudiencesByName('pages', name);
    const single = await failure(aep().listAudiences('pages', { property: `name==${name}`, limit: 50 }));
    proxy.alter(undefined);
    proxy.rewrite(undefined);
    expect(found).toHaveLength(51);
    expect(filters.slice(0, 2)).toEqual([[`name==${name}`], [`name==${name}`]]);
    // One page on its own: its next page has no start to give, so no page "without a next one".
    expect(single).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
  });

  it.each([
    [
      'on another host',
      (cursor: string) => `https://elsewhere.example/data/core/ups/audiences?cursor=${cursor}`,
    ],
    ['at another path', (cursor: string) => `@/segment/jobs?cursor=${cursor}`],
  ])('a next link %s is not followed: the list cannot be read to its end', async (_where, href) => {
    const name = crowd();
    proxy.alter(cursorLinks((start) => href(cursorOf(start))));
    const error = await failure(aep().findAudiencesByName('pages', name));
    proxy.alter(undefined);
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect(error.message).toMatch(
      /cannot be read to its end \(its next page is a link audiencectl does not follow/,
    );
  });

  /** One crowd (51 audiences of one name) for the cases that only read it. */
  let shared: string | undefined;
  const sharedCrowd = () => (shared ??= crowd());
  /** The emulator's next page as `_links.next` only, written by `href` from its start; `_page` kept without `next`. */
  const startLinks = (href: (start: string) => string) => (answer: Answer) => {
    if (!isList(answer)) return undefined;
    const body = answer.body as { _page?: Record<string, unknown>; _links?: { next?: { href: string } } };
    const link = body._links?.next?.href;
    const start = link === undefined ? null : new URL(link.slice(1), 'http://x').searchParams.get('start');
    const page = { ...body._page };
    delete page['next'];
    return { ...body, _page: page, _links: start ? { next: { href: href(start) } } : {} };
  };

  it.each([
    [
      "at the client's own base URL",
      (start: string) => `${proxy.url}/data/core/ups/audiences?start=${start}&limit=50`,
    ],
    ['at the path of the list on its host', (start: string) => `/data/core/ups/audiences/?start=${start}`],
    // A gateway that passes AEP's answers on unchanged: followed at the client's own base URL.
    [
      'at platform.adobe.io',
      (start: string) => `https://platform.adobe.io/data/core/ups/audiences?start=${start}`,
    ],
    ['at @/audiences/', (start: string) => `@/audiences/?start=${start}`],
  ])('an absolute or relative next link to the list %s is followed', async (_where, href) => {
    const name = sharedCrowd();
    const asked: string[] = [];
    proxy.alter((answer) => {
      if (isList(answer)) asked.push(answer.query.get('start') ?? '');
      return startLinks(href)(answer);
    });
    const found = await aep().findAudiencesByName('pages', name);
    proxy.alter(undefined);
    expect(found).toHaveLength(51);
    // Both pages through the client's own base URL (the proxy).
    expect(asked).toEqual(['0', '50']);
  });

  it("an absolute cursor link at the client's own base URL is followed", async () => {
    const name = sharedCrowd();
    proxy.alter(cursorLinks((start) => `${proxy.url}/data/core/ups/audiences?cursor=${cursorOf(start)}`));
    proxy.rewrite((url) =>
      url.replace(/cursor=([\w-]+)/, (_all, cursor: string) => {
        const { start } = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { start: string };
        return `start=${start}`;
      }),
    );
    const found = await aep().findAudiencesByName('pages', name);
    proxy.alter(undefined);
    proxy.rewrite(undefined);
    expect(found).toHaveLength(51);
  });

  it.each([
    [
      'on the same host at another path',
      (start: string) => `${proxy.url}/data/core/ups/segment/jobs?start=${start}`,
    ],
    [
      'at platform.adobe.io at another path',
      (start: string) => `https://platform.adobe.io/data/core/ais/audiences?start=${start}`,
    ],
    [
      'on another host at the same path',
      (start: string) => `https://elsewhere.example/data/core/ups/audiences?start=${start}`,
    ],
  ])('a next link with a start %s is not followed', async (_where, href) => {
    const name = sharedCrowd();
    proxy.alter(startLinks(href));
    const error = await failure(aep().findAudiencesByName('pages', name));
    proxy.alter(undefined);
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect(error.message).toMatch(/its next page is a link audiencectl does not follow/);
  });

  it('a list whose pages always name a next one ends at the empty page once its totalCount is read', async () => {
    const name = sharedCrowd();
    const asked: string[] = [];
    // Every page names start + 50, the empty one after the last too.
    proxy.alter((answer) => {
      if (!isList(answer)) return undefined;
      const start = answer.query.get('start') ?? '0';
      asked.push(start);
      const body = answer.body as { _page?: Record<string, unknown> };
      const next = String(Number(start) + 50);
      return {
        ...body,
        _page: { ...body._page, next },
        _links: { next: { href: `@/audiences?start=${next}` } },
      };
    });
    const found = await aep().findAudiencesByName('pages', name);
    proxy.alter(undefined);
    expect(found).toHaveLength(51);
    expect(asked).toEqual(['0', '50', '100']);
  });

  it('a cursor link that names the page itself, its parameters in another order, fails at once', async () => {
    const name = sharedCrowd();
    let lists = 0;
    proxy.alter((answer) => {
      if (!isList(answer)) return undefined;
      lists += 1;
      const body = answer.body as { children: unknown[] };
      // The first page names the cursor; the cursor's page names itself, its parameters swapped.
      const href = answer.query.has('cursor')
        ? '@/audiences?limit=50&cursor=c1'
        : '@/audiences?cursor=c1&limit=50';
      return { children: body.children, _links: { next: { href } } };
    });
    const error = await failure(aep().findAudiencesByName('pages', name));
    proxy.alter(undefined);
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect(error.message).toMatch(/the page itself/);
    expect(lists).toBe(2);
  });

  it('an empty _page.next falls through to _links.next', async () => {
    const name = crowd();
    proxy.alter((answer) => {
      if (!isList(answer)) return undefined;
      const body = answer.body as { _page?: Record<string, unknown> };
      return { ...body, _page: { ...body._page, next: '' } };
    });
    const found = await aep().findAudiencesByName('pages', name);
    proxy.alter(undefined);
    expect(found).toHaveLength(51);
  });

  it('an empty page that names a next page does not end the list', async () => {
    const name = crowd();
    // The first page without its audiences; its next page (50) and totalCount (51) kept.
    proxy.alter((answer) =>
      isList(answer) && answer.query.get('start') === '0'
        ? { ...(answer.body as Record<string, unknown>), children: [] }
        : undefined,
    );
    const error = await failure(aep().findAudiencesByName('pages', name));
    proxy.alter(undefined);
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect(error.message).toMatch(/stops at 1 of its 51 audiences/);
  });
});
