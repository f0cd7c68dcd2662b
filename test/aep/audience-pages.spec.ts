import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
