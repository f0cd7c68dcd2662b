import { describe, expect, it } from 'vitest';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';

/**
 * Which id of a listed external audience /core/ais knows (src/aep/audience-ids.ts): probed once,
 * by the runs list of the first one whose `id` and `audienceId` differ, then remembered.
 */
const probes = (control: { counters(): { byEndpoint: Record<string, { requests: number } | undefined> } }) =>
  control.counters().byEndpoint.listRuns?.requests ?? 0;

describe('an audience found by name, under the id /core/ais knows', () => {
  it('listed under an id of its own: its audienceId, learned by one probe and remembered', async () => {
    await withEmulator({ compat: { audienceIds: 'distinct' } }, async (emulator) => {
      const client = clientFor(emulator);
      const gold = spec();
      const silver = spec();
      const goldId = await createAndWait(client, 'prod', gold);
      const silverId = await createAndWait(client, 'prod', silver);

      const [found] = await client.findAudiencesByName('prod', gold.name);
      expect(found?.id).toBe(goldId);
      expect(found?.listedId).not.toBe(goldId);
      expect(client.compat().audienceIds).toBe('distinct');
      // `id` refused (404), `audienceId` answered.
      expect(probes(emulator.control)).toBe(2);

      const [other] = await client.findAudiencesByName('prod', silver.name);
      expect(other?.id).toBe(silverId);
      expect(probes(emulator.control)).toBe(2);

      // A later process starts from what was learned.
      const next = clientFor(emulator, { compat: { operationsPath: 'plural', remembered: client.compat() } });
      expect((await next.findAudiencesByName('prod', gold.name)).map((a) => a.id)).toEqual([goldId]);
      expect(probes(emulator.control)).toBe(2);
    });
  });

  it("listed under its /core/ais id with the client's own audienceId: its id, by one probe", async () => {
    await withEmulator(undefined, async (emulator) => {
      const client = clientFor(emulator);
      const gold = spec({ customAudienceId: 'crm-gold' });
      const goldId = await createAndWait(client, 'prod', gold);

      const [found] = await client.findAudiencesByName('prod', gold.name);
      expect(found).toMatchObject({ id: goldId, audienceId: 'crm-gold' });
      expect(found?.listedId).toBeUndefined();
      expect(client.compat().audienceIds).toBe('same');
      expect(probes(emulator.control)).toBe(1);
    });
  });

  it('one whose two ids agree: no probe', async () => {
    await withEmulator(undefined, async (emulator) => {
      const client = clientFor(emulator);
      const gold = spec();
      const goldId = await createAndWait(client, 'prod', gold);
      expect((await client.findAudiencesByName('prod', gold.name)).map((a) => a.id)).toEqual([goldId]);
      expect(client.compat().audienceIds).toBeUndefined();
      expect(probes(emulator.control)).toBe(0);
    });
  });
});
