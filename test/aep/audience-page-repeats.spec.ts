import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlteringProxy, type AlteringProxy, type Answer } from '../helpers/altering-proxy.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { clientFor, spec } from './helpers.js';

/**
 * An Audiences API list read page by page (audience-reads.ts readList) whose page repeats
 * audiences already read (review service-43, M-2): a service that answers a later page with an
 * earlier one, an offset list shifted by an audience made between two pages. Counted again, the
 * copies filled the list's count: it was taken as read to its end while audiences it holds were
 * never read, and a lookup listed one audience twice. Each is read once now, and a page of
 * audiences all read before is no list to read (as the runs list's pages, runs-pages.ts).
 */
describe('an Audiences API list page that repeats audiences already read', () => {
  const emulator = useEmulator({ operationDelayMs: 0 });
  let proxy: AlteringProxy;
  let part = '';
  beforeAll(async () => {
    proxy = await startAlteringProxy(emulator().url);
    part = `Repeat ${Math.random().toString(36).slice(2, 8)}`;
    // 51 audiences whose names hold `part`: two pages of 50.
    for (let i = 0; i < 51; i += 1)
      emulator().control.uiCreateAudience(emulator().client.orgId, 'pages', spec({ name: `${part} ${i}` }));
  });
  afterAll(async () => {
    await proxy.close();
  });

  const aep = () => clientFor(emulator(), { baseUrl: `${proxy.url}/data/core/ais` });
  const isList = (answer: Answer) => answer.path === '/data/core/ups/audiences';
  type Page = { children: { id: string }[]; _page?: Record<string, unknown> };

  it('a second page that is the first again is no list read to its end', async () => {
    let first: Page | undefined;
    proxy.alter((answer) => {
      if (!isList(answer)) return undefined;
      const body = answer.body as Page;
      if ((answer.query.get('start') ?? '0') === '0') {
        first = body;
        return undefined;
      }
      // The service answers start=50 with its first page again, counted as before.
      return { children: first?.children ?? [], _page: { totalCount: body._page?.['totalCount'] } };
    });
    const read = await aep()
      .findAudiencesNameContains('pages', part)
      .then(
        (audiences) => audiences,
        (error: unknown) => error,
      );
    proxy.alter(undefined);
    // Before: 100 audiences, 50 of them copies, and the 51st never read.
    expect(read).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect((read as Error).message).toContain('its page 2 brings no audience not read before');
  });

  it('a page that begins with the last audience of the one before (one made between them) lists each audience once', async () => {
    let lastOfFirst: unknown;
    proxy.alter((answer) => {
      if (!isList(answer)) return undefined;
      const body = answer.body as Page;
      if ((answer.query.get('start') ?? '0') === '0') {
        lastOfFirst = body.children.at(-1);
        return undefined;
      }
      return { ...body, children: [lastOfFirst, ...body.children] };
    });
    const found = await aep().findAudiencesNameContains('pages', part);
    proxy.alter(undefined);
    const ids = found.map((audience) => audience.id);
    expect(ids).toHaveLength(new Set(ids).size);
    expect(new Set(ids).size).toBe(51);
  });
});
