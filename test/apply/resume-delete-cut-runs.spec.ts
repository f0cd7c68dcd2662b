import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { cutRunsPage } from '../apply/helpers/cut-runs-page.js';

// Review runs-40 M-3: the resume of an interrupted DELETE whose lookup answers 404 asks the
// audience's runs list whether the service still knows the audience. A list that answers, cut
// at its first page oldest first and counted (limit/sortBy refused), made listRuns throw its
// RunsListCutError, which runsListGone rethrew: the list answered, yet the intent was never
// settled, on every apply.

const { service: CUT, plan: PLAN } = cutRunsPage(50);

async function leaveDeleteIntent(env: ExecutorEnv, key: string) {
  const store = env.store();
  await store.lock();
  try {
    await store.beginIntent((await store.get('prod', key))!, 'delete', {});
  } finally {
    await store.unlock();
  }
}

describe('an interrupted DELETE of an audience with 21 runs, listed oldest first, cut at 20, counted', () => {
  it('its lookup alone answering 404: the list by its audienceId shows it, left for the plan', async () => {
    await withExecutor(CUT, async (env) => {
      const quiet = (key: string) => manifestObject(key, { ingestion: { onCreate: false } });
      await env.apply([quiet('gold'), quiet('silver')], { plan: PLAN });
      const silver = (await env.store().get('prod', 'silver'))!.audienceId!;
      for (let index = 0; index < 21; index += 1) {
        const started = await env.emulator.request('POST', `/external-audience/${silver}/runs`, {
          body: { dataFilterStartTime: index },
        });
        expect(started.status).toBe(200);
      }
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', silver)).toHaveLength(21);
      // The runs list answers: 20 of 21.
      const listed = await env.emulator.request('GET', `/external-audience/${silver}/runs`);
      expect(listed.status).toBe(200);
      expect((listed.body as { _page: { totalCount: number } })._page.totalCount).toBe(21);

      await leaveDeleteIntent(env, 'silver');
      env.emulator.control.queueFault({ kind: 'clientError', endpoint: 'getAudience', status: 404 });
      let resumed: string[] = [];
      await env.apply([quiet('gold'), quiet('silver')], {
        plan: PLAN,
        review: (_, notes) => {
          resumed = notes;
          return false;
        },
      });
      expect(resumed).toEqual([
        `prod/silver: interrupted delete of ${silver} did not happen (the audience is still there); left for the plan, which reads the audience first for as long as that DELETE may still land`,
      ]);
      expect(env.emulator.control.counters().byEndpoint.deleteAudience?.requests ?? 0).toBe(0);
      expect((await env.store().get('prod', 'silver'))?.intent).toBeUndefined();
    });
  });
});
