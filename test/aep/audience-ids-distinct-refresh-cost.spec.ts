import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * Under `audienceIds: distinct` the Audiences API knows no audience by the /core/ais id
 * audiencectl records: a refresh's bulk-get leaves each out, and each was then looked up by
 * GET /audiences/{id}, a 404 certain under that reading, before the list by audienceId that finds
 * it: two requests per audience, every refresh, once the reading was known (compat). Known, the
 * lookup by id is skipped: one list per audience; one deleted in the UI is still read as gone.
 */
const requestsOf = (counters: { byEndpoint: Record<string, { requests: number } | undefined> }) => ({
  bulkGet: counters.byEndpoint['bulkGetAudiences']?.requests ?? 0,
  get: counters.byEndpoint['getAudience']?.requests ?? 0,
  list: counters.byEndpoint['listAudiences']?.requests ?? 0,
});

describe('a refresh once the service is known to list audiences under ids of their own', () => {
  it('reads each audience with one list, not a 404 lookup first', async () => {
    await withExecutor({ compat: { audienceIds: 'distinct' } }, async (env) => {
      const manifests = ['gold', 'silver', 'bronze'].map((name) =>
        manifestObject(name, { ingestion: { onCreate: false } }),
      );
      await env.apply(manifests);
      // The first refresh learns the reading.
      await env.apply(manifests, { refresh: true });
      expect(env.client.compat().audienceIds).toBe('distinct');
      env.emulator.control.resetCounters();
      const refreshed = await env.apply(manifests, { refresh: true });
      expect(refreshed.plan.refresh?.drifted).toEqual([]);
      expect(refreshed.plan.steps).toEqual([]);
      expect(requestsOf(env.emulator.control.counters())).toEqual({ bulkGet: 1, get: 0, list: 3 });

      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';
      env.emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', silverId);
      const again = await env.apply(manifests, { refresh: true });
      expect(again.plan.refresh?.drifted.map((d) => `${d.key} ${d.kind}`)).toEqual(['silver deleted']);
    });
  });
});
