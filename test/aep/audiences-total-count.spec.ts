import { describe, expect, it } from 'vitest';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, spec } from './helpers.js';

/**
 * The Audiences API page's sample counts a bare list (`_page.totalCount: 111`); what a filtered
 * list's `totalCount` counts, it does not say. The emulator's `audiencesTotalCount: sandbox`
 * counts every audience of the sandbox whatever the query. A list read to its last page (one
 * naming no next) short of such a count is the whole list: the client learns that the count is
 * not the list's, and keeps failing a list that stops short of a count that is.
 */
describe('a totalCount that counts the sandbox, not the list (audiencesTotalCount: sandbox)', () => {
  it('finds by name, by a part of the name and the inactive ones, each list read to its end', async () => {
    await withEmulator(
      { compat: { audiencesTotalCount: 'sandbox' }, operationDelayMs: 0 },
      async (emulator) => {
        const { orgId } = emulator.client;
        const gold = emulator.control.uiCreateAudience(orgId, 'prod', spec({ name: 'Gold members' }));
        const silver = emulator.control.uiCreateAudience(orgId, 'prod', spec({ name: 'Silver members' }));
        emulator.control.uiCreateAudience(orgId, 'prod', spec({ name: 'Bronze members' }));
        emulator.control.uiEditAudience(orgId, 'prod', silver.id, { lifecycleState: 'inactive' });
        const aep = clientFor(emulator, { compat: {} });

        expect((await aep.findAudiencesByName('prod', 'Gold members')).map((a) => a.id)).toEqual([gold.id]);
        expect((await aep.findAudiencesNameContains('prod', 'Gold')).map((a) => a.id)).toEqual([gold.id]);
        expect((await aep.listInactiveAudiences('prod')).map((a) => a.id)).toEqual([silver.id]);
        expect(await aep.findAudiencesByName('prod', 'No such audience')).toEqual([]);
      },
    );
  });

  it('remembers it: a new client told what the last one learned asks one list per lookup', async () => {
    await withEmulator(
      { compat: { audiencesTotalCount: 'sandbox' }, operationDelayMs: 0 },
      async (emulator) => {
        const { orgId } = emulator.client;
        const gold = emulator.control.uiCreateAudience(orgId, 'prod', spec({ name: 'Gold members' }));
        emulator.control.uiCreateAudience(orgId, 'prod', spec({ name: 'Silver members' }));
        const aep = clientFor(emulator, { compat: {} });
        await aep.findAudiencesByName('prod', 'Gold members');
        const next = clientFor(emulator, { compat: { remembered: aep.compat() } });
        emulator.control.resetCounters();
        expect((await next.findAudiencesByName('prod', 'Gold members')).map((a) => a.id)).toEqual([gold.id]);
        expect(emulator.control.counters().byEndpoint.listAudiences.requests).toBe(1);
      },
    );
  });
});
