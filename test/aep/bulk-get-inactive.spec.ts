import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * The Audiences API page leaves inactive audiences out of a list without parameters and says
 * nothing of bulk-get. Against a service whose bulk-get leaves them out too, a missing key is
 * no proof of deletion: read as one, a refresh re-created the audience (refused: its name is
 * taken) and a removed manifest's audience was "already deleted", its record forgotten while
 * it stayed in AEP.
 */
describe('an audience deactivated in the UI, against a bulk-get that leaves inactive ones out', () => {
  it('is neither re-created by a refresh nor forgotten instead of deleted', async () => {
    await withExecutor({ compat: { bulkGetInactive: 'omitted' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';
      env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', silverId, {
        lifecycleState: 'inactive',
      });

      const refreshed = await env.apply([gold, silver], { refresh: true });
      // Not re-created: its own lookup shows it, deactivated, which is drift a person settles
      // (REVIEW-37c M-2): one blocked update, nothing created.
      expect(
        refreshed.plan.steps.map(
          (step) => `${step.kind} ${step.key} ${step.blocked === undefined ? 'open' : 'blocked'}`,
        ),
      ).toEqual(['update silver blocked']);
      expect(refreshed.plan.refresh?.drifted.map((d) => `${d.key} ${d.kind}`)).toEqual([
        'silver deactivated',
      ]);
      expect((await env.store().get('prod', 'silver'))?.audienceId).toBe(silverId);

      const removal = await env.apply([gold]);
      expect(
        removal.report?.results.map((result) => [result.step.key, result.status, result.message]),
      ).toEqual([['silver', 'applied', `deleted ${silverId}`]]);
      const remote = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(remote.map((audience) => audience.audienceName)).toEqual(['Audience gold']);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
    });
  });
});
