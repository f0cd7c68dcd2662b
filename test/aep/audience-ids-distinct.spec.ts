import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { clientFor, createAndWait, spec } from './helpers.js';

/**
 * The notes on the Audiences API page: an external audience's `id` there is the `audienceId`
 * its /core/ais operation returned (both pages' samples show one uuid), and a client should
 * "match on `id` first, and accept a match on `audienceId`". Against a service that shows it
 * under an `id` of its own (`audienceIds: distinct`), its lookup by the recorded id is a 404
 * and bulk-get leaves it out: read as "gone", a refresh re-created every audience (refused:
 * their names are taken) and a removed manifest's audience was forgotten, never deleted.
 */
describe('an audience the Audiences API shows under an id of its own', () => {
  it('is found by its /core/ais audienceId, and one deleted is still gone', async () => {
    await withEmulator({ compat: { audienceIds: 'distinct' } }, async (emulator) => {
      const client = clientFor(emulator);
      const audienceId = await createAndWait(client, 'prod', spec());
      const found = await client.getAudience('prod', audienceId);
      expect(found?.audienceId).toBe(audienceId);
      expect(found?.id).not.toBe(audienceId);
      const read = await client.bulkGetAudiences('prod', [audienceId, 'no-such-audience']);
      expect([...read].map(([id, audience]) => [id, audience?.audienceId])).toEqual([
        [audienceId, audienceId],
        ['no-such-audience', undefined],
      ]);
      await client.deleteAudience('prod', audienceId);
      expect(await client.getAudience('prod', audienceId)).toBeUndefined();
    });
  });

  it('is neither re-created by a refresh nor forgotten instead of deleted', async () => {
    await withExecutor({ compat: { audienceIds: 'distinct' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';

      const refreshed = await env.apply([gold, silver], { refresh: true });
      expect(refreshed.plan.steps.map((step) => `${step.kind} ${step.key}`)).toEqual([]);
      expect(refreshed.plan.refresh?.drifted).toEqual([]);

      const removal = await env.apply([gold]);
      expect(
        removal.report?.results.map((result) => [result.step.key, result.status, result.message]),
      ).toEqual([['silver', 'applied', `deleted ${silverId}`]]);
      const remote = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName)).toEqual(['Audience gold']);
    });
  });
});
