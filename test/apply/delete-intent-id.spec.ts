import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { putAsIs, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { pendingLine } from '../../src/plan/render/pending-lines.js';

const quiet = (name: string) => manifestObject(name, { ingestion: { onCreate: false } });
const gold = quiet('gold');
const silver = quiet('silver');

const names = (env: ExecutorEnv) =>
  env.emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((live) => live.audienceName)
    .sort();

// Review 24, M1: a record whose create's operation had not given its audience id when the apply
// that sent it stopped (a kill or a drain during the poll, an operation still processing) holds
// none. Its removal's delete step reads the id from the operation; that id was then recorded
// nowhere, and the resume cleared such a delete intent unread ("had no audience id"). Its
// DELETE's answer lost and the removal reverted, the plan resumed the create from the operation,
// which still names the deleted audience: "created <id>" without a POST, the state recording as
// live the audience audiencectl's own DELETE had removed, and every plan after it "No changes".
describe('an interrupted DELETE of an audience whose id only its create’s operation gave', () => {
  it.each([
    { name: 'the intent holds the id', earlierRelease: false },
    { name: "an earlier release's intent without it: the resume reads the operation", earlierRelease: true },
  ])(
    '$name: the removal reverted, the delete is finished and the audience created again',
    async ({ earlierRelease }) => {
      await withExecutor(undefined, async (env) => {
        await env.apply([gold, silver]);
        const created = (await env.store().get('prod', 'silver'))!;
        const silverId = created.audienceId!;
        expect(created.operationId).toBeDefined();
        const awaited = { ...created };
        delete awaited.audienceId;
        await putAsIs(env, awaited);

        // The DELETE is done but its answer lost; every retry answers 500: outcome unknown.
        env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'deleteAudience', count: 1 });
        env.emulator.control.queueFault({
          kind: 'error500',
          endpoint: 'deleteAudience',
          count: 10,
          after: 1,
        });
        await env.apply([gold]);
        expect(names(env)).toEqual(['Audience gold']);
        const kept = (await env.store().get('prod', 'silver'))!;
        expect(kept.intent?.kind).toBe('delete');
        if (earlierRelease) {
          const intent = { ...kept.intent! };
          delete intent.audienceId;
          await putAsIs(env, { ...kept, intent });
        }

        const planned = await env.plan([gold, silver]);
        expect(planned.pending?.map(pendingLine)).toEqual([
          `prod/silver: an interrupted delete of ${earlierRelease ? "the audience its create's operation names" : silverId} (its outcome unknown): apply reads the service first; if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, nothing is deleted`,
        ]);

        env.emulator.control.resetCounters();
        let resumed: string[] = [];
        const reverted = await env.apply([gold, silver], {
          review: (_, notes) => {
            resumed = notes;
            return true;
          },
        });
        expect(resumed).toEqual([`prod/silver: finished an interrupted delete of ${silverId}`]);
        expect(reverted.plan.steps.map((step) => `${step.kind} ${step.key}`)).toEqual(['create silver']);
        expect(env.emulator.control.counters().byEndpoint.createAudience?.requests ?? 0).toBe(1);
        expect(env.emulator.control.counters().byEndpoint.deleteAudience?.requests ?? 0).toBe(0);
        const again = (await env.store().get('prod', 'silver'))!;
        expect(again.intent).toBeUndefined();
        expect(again.audienceId).toBeDefined();
        expect(again.audienceId).not.toBe(silverId);
        expect(names(env)).toEqual(['Audience gold', 'Audience silver']);
        expect((await env.plan([gold, silver])).steps).toEqual([]);
      });
    },
  );
});
