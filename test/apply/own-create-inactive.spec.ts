import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { interruptedCreate, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// A service may leave inactive audiences out of a name lookup (the emulator's
// `listInactive: audienceId` reading): our own interrupted create, deactivated in the UI
// since, is then found only in the list of inactive audiences. A failure to read that list
// says nothing: never "no audience of that name".

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const hidesInactive = { compat: { listInactive: 'audienceId' as const } };

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

/** The audience gold's interrupted create made, deactivated in the UI since. */
async function madeAndDeactivated(env: ExecutorEnv): Promise<string> {
  const made = await env.emulator.createAudience(gold.spec);
  env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', made, { lifecycleState: 'inactive' });
  return made;
}

describe('our own interrupted create, deactivated since, under a service that hides inactive audiences from name lookups', () => {
  it('its 409 finds it among the inactive audiences and adopts it', async () => {
    await withExecutor(hidesInactive, async (env) => {
      await interruptedCreate(env);
      const made = await madeAndDeactivated(env);
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect(outcome.report?.results[0]?.message).toBe(
        `adopted ${made}, the audience an interrupted create made`,
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(made);
      expect(record?.intent).toBeUndefined();
    });
  });

  it('the inactive audiences cannot be listed (400): the step fails, its intent kept, nothing blocked', async () => {
    await withExecutor(hidesInactive, async (env) => {
      await interruptedCreate(env);
      await madeAndDeactivated(env);
      // The name lookup answers (without it); the inactive list is refused.
      env.emulator.control.queueFault({
        kind: 'clientError',
        endpoint: 'listAudiences',
        status: 400,
        after: 1,
      });
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create failed']);
      expect(outcome.report?.results[0]?.message).toMatch(/inactive audiences .*cannot be listed/);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent?.kind).toBe('create');
      expect(record?.blocked).toBeUndefined();
      expect(record?.audienceId).toBeUndefined();
    });
  });

  it('an operation unknown to the service, after the 15 minutes: adopted, not dropped', async () => {
    await withExecutor(hidesInactive, async (env) => {
      const store = new FileStateStore(env.stateDir);
      await store.lock();
      await store.put({
        schemaVersion: 1,
        sandbox: 'prod',
        key: 'gold',
        operationId: 'lost-operation',
        deletionPolicy: 'Delete',
        observed: { source: 'operation', at: new Date(Date.now() - 16 * 60_000).toISOString(), body: {} },
        runs: [],
      });
      await store.unlock();
      const made = await madeAndDeactivated(env);
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made);
    });
  });
});
