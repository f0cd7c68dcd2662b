import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { importAudience } from '../../src/state/repair.js';
import { audienceBody } from '../helpers/with-emulator.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * What an apply records, checked by planning again after the real executor applied it
 * against the emulator (the planner's unit tests cover the plans themselves).
 */
type Ingestion = { onCreate?: boolean; request?: string };
const gold = (ingestion: Ingestion = {}, extra: Parameters<typeof manifestObject>[1] = {}) =>
  manifestObject('gold', { ...extra, ingestion: { onCreate: false, ...ingestion } });

const kinds = async (env: ExecutorEnv, manifests: Parameters<ExecutorEnv['plan']>[0], options = {}) =>
  (await env.plan(manifests, options)).steps.map((s) => `${s.kind}${s.deferred ? ' (deferred)' : ''}`);

function runsOf(env: ExecutorEnv): number {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  return audience ? env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId).length : -1;
}

describe('planning again after the real executor applied', () => {
  it('a changed deletionPolicy is recorded without a call, so the removal forgets', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([gold()]);
      const requests = env.emulator.control.counters().requests;
      await env.apply([gold({}, { metadata: { deletionPolicy: 'Orphan' } })]);
      expect(env.emulator.control.counters().requests).toBe(requests);
      expect(await kinds(env, [], { allowEmptySource: true })).toEqual(['forget']);
    });
  });

  it('a changed ingestion.request starts one run, and then nothing is left', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([gold({ request: 'a' })]);
      expect(await kinds(env, [gold({ request: 'b' })])).toEqual(['run']);
      await env.apply([gold({ request: 'b' })]);
      expect(await kinds(env, [gold({ request: 'b' })])).toEqual([]);
      expect(runsOf(env)).toBe(1);
    });
  });

  it('an imported audience: PATCHed to the manifest, no first run, then nothing is left', async () => {
    await withExecutor(undefined, async (env) => {
      const audienceId = await env.emulator.createAudience(audienceBody({ name: 'Audience gold' }));
      const store = env.store();
      await store.lock();
      try {
        const at = new Date().toISOString();
        await importAudience(store, {
          sandbox: 'prod',
          key: 'gold',
          audienceId,
          force: false,
          imported: { at, ingestionRequest: 'r-1' },
        });
      } finally {
        await store.unlock();
      }
      const manifest = gold({ onCreate: true, request: 'r-1' });
      expect(await kinds(env, [manifest])).toEqual(['update']);
      await env.apply([manifest]);
      expect(await kinds(env, [manifest])).toEqual([]);
      expect(runsOf(env)).toBe(0);
    });
  });

  it('a run deferred by the budget is still owed after its update is applied', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([gold({ request: 'a' })]);
      const changed = gold({ request: 'b' }, { spec: { description: 'new' } });
      const noRuns = { runBudget: { perSandboxPerDay: 0, perAudiencePerDay: 0 } };
      await env.apply([changed], { plan: noRuns });
      expect(runsOf(env)).toBe(0);
      expect(await kinds(env, [changed])).toEqual(['run']);
    });
  });
});
