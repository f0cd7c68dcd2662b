import { describe, expect, it } from 'vitest';
import { audienceBody, useEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// The Audiences API's list names its next page in `_links.next.href`
// (`@/audiences?start=1&limit=2&totalCount=111` in the page's sample, `@/` standing for
// /data/core/ups). The emulator's link kept only start, limit and totalCount: a list asked
// with a filter (`name`, `property`, `description`) or an order (`sort`), followed by its
// link as any client of the page would, went on with the unfiltered, unsorted list, so its
// second page held audiences the request excluded and its totalCount changed.

type Page = {
  children: { name: string; lifecycleState: string; description?: string }[];
  _page: { totalCount: number; pageSize: number; next?: string };
  _links: { next?: { href: string } };
};

async function get(emulator: TestEmulator, pathAndQuery: string): Promise<Page> {
  const response = await fetch(`${emulator.url}/data/core/ups${pathAndQuery}`, {
    headers: await emulator.headers({ sandbox: 'links' }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

/** Every page of the list `query` asks for, following `_links.next.href` to the end. */
async function followLinks(emulator: TestEmulator, query: string): Promise<Page[]> {
  const pages = [await get(emulator, `/audiences?${query}`)];
  for (let href = pages[0]?._links.next?.href; href !== undefined;) {
    expect(href.startsWith('@/')).toBe(true);
    const page = await get(emulator, href.slice(1));
    pages.push(page);
    expect(pages.length).toBeLessThan(20);
    href = page._links.next?.href;
  }
  return pages;
}

describe("the Audiences API list's _links.next.href", () => {
  const emulator = useEmulator({ operationDelayMs: 0 });
  const names = ['Gold a', 'Silver', 'gold c', 'Bronze', 'GOLD b', 'Platinum', 'Gold e'];

  it('keeps the name filter and the sort of the request', async () => {
    const { control, client } = emulator();
    for (const name of names) control.uiCreateAudience(client.orgId, 'links', audienceBody({ name }));
    const pages = await followLinks(emulator(), 'name=gold&sort=name:desc&limit=2');
    const listed = pages.flatMap((page) => page.children.map((audience) => audience.name));
    // Code-point order, descending: lower case after upper case ('g' > 'G', 'o' > 'O').
    expect(listed).toEqual(['gold c', 'Gold e', 'Gold a', 'GOLD b']);
    expect(pages.map((page) => page._page.totalCount)).toEqual([4, 4]);
  });

  it('keeps the property and description filters of the request', async () => {
    const { control, client } = emulator();
    for (const name of ['Tier one', 'Tier two', 'Tier three']) {
      control.uiCreateAudience(client.orgId, 'links', audienceBody({ name, description: 'loyalty tier' }));
    }
    const pages = await followLinks(emulator(), 'description=LOYALTY&limit=1');
    expect(pages.flatMap((page) => page.children.map((audience) => audience.name))).toEqual([
      'Tier one',
      'Tier two',
      'Tier three',
    ]);
    const exact = await followLinks(
      emulator(),
      'property=description==loyalty%20tier&property=name==Tier%20two&limit=1',
    );
    expect(exact.flatMap((page) => page.children.map((audience) => audience.name))).toEqual(['Tier two']);
    const inactive = ['Tier one', 'Tier three'];
    for (const audience of control.listAudiences(client.orgId, 'links')) {
      if (inactive.includes(audience.audienceName))
        control.uiEditAudience(client.orgId, 'links', audience.audienceId, { lifecycleState: 'inactive' });
    }
    const dormant = await followLinks(emulator(), 'property=lifecycleState==inactive&limit=1');
    expect(dormant.flatMap((page) => page.children.map((audience) => audience.name))).toEqual(inactive);
  });
});
