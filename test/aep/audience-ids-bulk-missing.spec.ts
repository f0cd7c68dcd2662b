import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';

/**
 * Two readings of the Audiences API page at once: bulk-get answers an id it does not know with a
 * `{ "status": 404 }` entry (bulkGetMissing: status), and it lists an external audience under an
 * id of its own (audienceIds: distinct), so it knows none of the /core/ais ids audiencectl
 * records. Each 404 entry was read as "gone": a refresh found every audience deleted outside
 * audiencectl and planned to create them all again (found by the executor's modes matrix,
 * test/apply/modes-journeys.spec.ts, "every strict reading at once").
 */
const BOTH = { audienceIds: 'distinct', bulkGetMissing: 'status' } as const;

describe('a bulk-get 404 entry for an audience listed under an id of its own', () => {
  it('is no proof of absence: the audience is read, and one deleted is still gone', async () => {
    await withEmulator({ compat: BOTH }, async (emulator) => {
      const client = clientFor(emulator);
      const gold = await createAndWait(client, 'prod', spec());
      const silver = await createAndWait(client, 'prod', spec());
      emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', silver);
      const read = await client.bulkGetAudiences('prod', [gold, silver]);
      expect([...read].map(([id, audience]) => [id, audience?.audienceId])).toEqual([
        [gold, gold],
        [silver, undefined],
      ]);
    });
  });

  it('a refresh reads no drift, and reads one deleted in the UI as deleted', async () => {
    await withExecutor({ compat: BOTH }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const refreshed = await env.apply([gold, silver], { refresh: true });
      expect(refreshed.plan.refresh?.drifted).toEqual([]);
      expect(refreshed.plan.steps).toEqual([]);

      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';
      env.emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', silverId);
      const again = await env.apply([gold, silver], { refresh: true });
      expect(again.plan.refresh?.drifted.map((d) => `${d.key} ${d.kind}`)).toEqual(['silver deleted']);
    });
  });
});
