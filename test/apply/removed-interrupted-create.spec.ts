import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { holdCreates, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review 7, M2: bronze's create made its audience, but the answer was lost and the retry refused,
// so its record holds the create intent and no id; then bronze.yaml is removed. The plan blocks
// the removal (only the create's resume may tell which audience is its own) and says how to
// delete the audience: put the manifest back and apply (adopted), remove it again and apply.
// Followed here step by step: the audience is deleted, gold and silver stay.

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const silver = manifestObject('silver', { ingestion: { onCreate: false } });
const bronze = manifestObject('bronze', { ingestion: { onCreate: false } });

describe('a removed manifest whose create was interrupted', () => {
  it('is blocked with the way that deletes its audience, and that way deletes it', async () => {
    await withExecutor(undefined, async (env) => {
      const remote = () =>
        env.emulator.control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((audience) => audience.audienceName)
          .sort();
      await env.apply([gold, silver]);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      // Not listed when it is looked for: the create is held, nothing sent again
      // (steps/create-hold.ts), its intent open.
      const held = holdCreates(env);
      const lost = await env.apply([gold, silver, bronze]);
      held.release();
      expect(lost.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/bronze:create blocked',
      ]);
      expect((await env.store().get('prod', 'bronze'))?.intent?.kind).toBe('create');
      expect(remote()).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);

      const removed = await env.apply([gold, silver]);
      expect(removed.plan.steps.map((step) => [step.id, step.blocked])).toEqual([
        [
          'prod/bronze:forget',
          "its create was interrupted: the audience it made very likely exists in AEP and is audiencectl's own, but audiencectl never learned its id, so it cannot be deleted now. " +
            'To delete it: put its manifest back and run `audiencectl apply MANIFESTS_DIR` (MANIFESTS_DIR: your manifests directory): the create is settled: its audience adopted once the service lists it, else created once 15 minutes have passed since its earlier POST (until then that apply holds it, exit 3); then remove the manifest again, and the next apply deletes the audience. ' +
            'To leave it in AEP, unmanaged: `audiencectl state forget bronze --sandbox prod` (that drops only the record)',
        ],
      ]);
      expect(remote()).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);

      const back = await env.apply([gold, silver, bronze]);
      expect(back.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/bronze:create applied',
      ]);
      const again = await env.apply([gold, silver]);
      expect(again.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/bronze:delete applied',
      ]);
      expect(remote()).toEqual(['Audience gold', 'Audience silver']);
      expect(await env.store().get('prod', 'bronze')).toBeUndefined();
    });
  });
});
