import { describe, expect, it } from 'vitest';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, spec } from './helpers.js';

/**
 * The Audiences API page's paging sample: `_page.next: "1"` beside
 * `_links.next.href: "@/audiences?start=1&limit=2&totalCount=111"`: with two audiences a page,
 * `start=1` is the second page, not the second audience. The emulator's
 * `audiencesPaging: page` reads `start` so and names the next page by its index; the client's
 * lookups (adoption, drift, lost state, discover) read such a list to its end, each audience once.
 */
describe('the Audiences API list paged by page index (audiencesPaging: page)', () => {
  it('answers the sample: start is a page index, next names the next page', async () => {
    await withEmulator({ compat: { audiencesPaging: 'page' }, operationDelayMs: 0 }, async (emulator) => {
      for (const letter of ['a', 'b', 'c', 'd', 'e']) {
        emulator.control.uiCreateAudience(emulator.client.orgId, 'prod', spec({ name: `Paged ${letter}` }));
      }
      const api = emulator.apiBaseUrl.replace(/\/ais$/, '/ups');
      const headers = await emulator.headers();
      const page = async (start: string) =>
        (await (
          await fetch(`${api}/audiences?start=${start}&limit=2&sort=name:asc`, { headers })
        ).json()) as { children: { name: string }[]; _page: Record<string, unknown>; _links: unknown };
      const second = await page('1');
      expect(second.children.map((a) => a.name)).toEqual(['Paged c', 'Paged d']);
      expect(second._page).toEqual({ totalCount: 5, pageSize: 2, next: '2' });
      expect(second._links).toEqual({
        next: { href: '@/audiences?start=2&limit=2&totalCount=5&sort=name%3Aasc' },
      });
      const last = await page('2');
      expect(last.children.map((a) => a.name)).toEqual(['Paged e']);
      expect(last._page).toEqual({ totalCount: 5, pageSize: 1 });
    });
  });

  it('finds every audience of a name part, inactive ones and a crowded name, each once', async () => {
    await withEmulator({ compat: { audiencesPaging: 'page' }, operationDelayMs: 0 }, async (emulator) => {
      const { orgId } = emulator.client;
      const names: string[] = [];
      const ids: string[] = [];
      // 120 audiences: three pages of the client's 50.
      for (let i = 0; i < 120; i += 1) {
        const name = `Gold ${String(i).padStart(3, '0')}`;
        names.push(name);
        ids.push(emulator.control.uiCreateAudience(orgId, 'prod', spec({ name })).id);
      }
      const aep = clientFor(emulator, { compat: {} });
      const found = await aep.findAudiencesNameContains('prod', 'Gold');
      expect(found.map((a) => a.name).sort()).toEqual(names);

      for (const id of ids.slice(0, 70)) {
        emulator.control.uiEditAudience(orgId, 'prod', id, { lifecycleState: 'inactive' });
      }
      const inactive = await aep.listInactiveAudiences('prod');
      expect(inactive.map((a) => a.id).sort()).toEqual(ids.slice(0, 70).sort());

      const crowded = 'Crowded';
      for (let i = 0; i < 51; i += 1) {
        emulator.control.uiCreateAudience(orgId, 'prod', spec({ name: crowded }), 'x@AdobeID', {
          duplicateName: true,
        });
      }
      const byName = await aep.findAudiencesByName('prod', crowded);
      expect(new Set(byName.map((a) => a.id)).size).toBe(51);
    });
  });
});
