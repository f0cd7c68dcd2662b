import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// The Audiences API page's bulk-get "shows only found audiences; read a missing key, or an entry
// that carries a status of 404 instead of an audience, as 'not found'"
// (../shared/reference/audiences-api.md). audiencectl reads such an entry as gone without a
// lookup of its own (src/aep/audience-reads.ts entryOf), shown only against a hand-written fake
// (test/aep/shapes.spec.ts). The emulator always left an unknown id's key out: no mode answers
// the page's other reading, so no refresh was ever tried against it. Its
// `bulkGetMissing: status` reading (--bulk-get-missing) answers so. Unless the service is known to
// list audiences under their /core/ais id (compat `audienceIds: same`), such an entry is confirmed
// by one list filtered on its audienceId, never by GET /audiences/{id}: a service that lists them
// under ids of their own answers 404 for every one (test/aep/audience-ids-bulk-missing.spec.ts).

describe('bulk-get naming an unknown id with a status 404 entry (bulkGetMissing: status)', () => {
  it('answers { "<id>": { "status": 404 } } for an id it does not know, and the audience for one it does', async () => {
    await withEmulator({ operationDelayMs: 0, compat: { bulkGetMissing: 'status' } }, async (emulator) => {
      const id = await emulator.createAudience({
        name: 'Gold',
        originName: 'CUSTOM_UPLOAD',
        fields: [{ name: 'email', type: 'string', identityNs: 'email' }],
        sourceSpec: { path: 'crm/gold.csv', type: 'file' },
      });
      const response = await fetch(`${emulator.url}/data/core/ups/audiences/bulk-get`, {
        method: 'POST',
        headers: { ...(await emulator.headers()), 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [{ id }, { id: 'no-such-audience' }] }),
      });
      expect(response.status).toBe(207);
      const { results } = (await response.json()) as { results: Record<string, Record<string, unknown>> };
      expect(results[id]).toMatchObject({ id, name: 'Gold' });
      expect(results['no-such-audience']).toEqual({ status: 404 });
    });
  });

  it('a refresh reads an audience deleted in the UI as gone from its 404 entry, with no lookup of its own', async () => {
    await withExecutor({ compat: { bulkGetMissing: 'status' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';
      env.emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', silverId);
      env.emulator.control.resetCounters();
      const refreshed = await env.apply([gold, silver], { refresh: true });
      expect(refreshed.plan.refresh?.drifted.map((d) => `${d.key} ${d.kind}`)).toEqual(['silver deleted']);
      expect(env.emulator.control.counters().byEndpoint.getAudience?.requests ?? 0).toBe(0);
      const remote = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName).sort()).toEqual([
        'Audience gold',
        'Audience silver',
      ]);
    });
  });
});
