import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { patchRequests, remoteAudience, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * A PATCH whose outcome is unknown (its answer lost, a 5xx, a killed apply) is settled by reading
 * the audience back (apply/patch-readback.ts: in the update step, or in the next apply's resume),
 * so the plan starts from what the service holds: a PATCH that reached the service and a manifest
 * reverted since is PATCHed back, never "No changes" over an audience holding what it sent.
 */

const quiet = (name: string, extra: Parameters<typeof manifestObject>[1] = {}) =>
  manifestObject(name, { ingestion: { onCreate: false }, ...extra });
const before = [quiet('gold', { spec: { description: 'before' } })];
const edited = [quiet('gold', { spec: { description: 'edited' } })];

const remoteGold = (env: ExecutorEnv) => remoteAudience(env, 'gold');

/** One apply, with the notes of what it settled before it planned (as the CLI prints them). */
async function applyNoting(env: ExecutorEnv, manifests: typeof before) {
  let resumed: string[] = [];
  const outcome = await env.apply(manifests, {
    review: (_, notes) => {
      resumed = notes;
      return true;
    },
  });
  return { ...outcome, resumed };
}

const patches = patchRequests;
const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => [r.step.id, r.status]);

/** Leaves a PATCH intent in the state, as a process killed during the call would. */
async function leavePatchIntent(env: ExecutorEnv): Promise<void> {
  const store = env.store();
  await store.lock();
  try {
    await store.beginIntent((await store.get('prod', 'gold'))!, 'patch');
  } finally {
    await store.unlock();
  }
}

/**
 * The edit's PATCH reaches the service at every attempt, and every answer is lost; with
 * `readFails`, so does the update step's read back (500s).
 */
async function lostPatch(env: ExecutorEnv, readFails = false) {
  await env.apply(before);
  const id = remoteGold(env).audienceId;
  env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'patchAudience', count: 20 });
  if (readFails)
    env.emulator.control.queueFault({ kind: 'error500', endpoint: 'bulkGetAudiences', count: 20 });
  const outcome = await env.apply(edited);
  env.emulator.control.clearFaults();
  expect(statuses(outcome)).toEqual([['prod/gold:update', 'failed']]);
  // The service made the change.
  expect(remoteGold(env).description).toBe('edited');
  env.emulator.control.resetCounters();
  return { id, message: outcome.report?.results[0]?.message };
}

/** gold applied as `before`, then a PATCH to `edited` that reached the service, its apply killed. */
async function killedPatch(env: ExecutorEnv): Promise<string> {
  await env.apply(before);
  const id = remoteGold(env).audienceId;
  await leavePatchIntent(env);
  const made = await env.emulator.request('PATCH', `/external-audience/${id}`, {
    body: { description: 'edited' },
  });
  expect(made.status).toBe(200);
  env.emulator.control.resetCounters();
  return id;
}

const settled = (id: string) =>
  `prod/gold: interrupted PATCH of ${id} settled by reading the audience back: the service shows description "edited", recorded; the plan brings the audience to the manifest`;

describe('a PATCH whose outcome is unknown is settled by reading the audience back', () => {
  it('its answer lost, the manifest reverted since: the next apply PATCHes the audience back', async () => {
    await withExecutor(undefined, async (env) => {
      const { message } = await lostPatch(env);
      expect(message).toMatch(
        /^PATCH failed: .*The change may or may not have been made; read back, the service shows description "edited", recorded$/,
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent).toBeUndefined();
      expect(record?.applied?.spec.description).toBe('edited');
      const reverted = await env.apply(before);
      expect(statuses(reverted)).toEqual([['prod/gold:update', 'applied']]);
      expect(patches(env)).toBe(1);
      expect(remoteGold(env).description).toBe('before');
      expect((await env.plan(before)).steps).toEqual([]);
    });
  });

  it('its answer lost, the manifest unchanged: the audience is found matching, nothing is PATCHed', async () => {
    await withExecutor(undefined, async (env) => {
      await lostPatch(env);
      const outcome = await env.apply(edited);
      expect(outcome.plan.steps).toEqual([]);
      expect(patches(env)).toBe(0);
      expect(remoteGold(env).description).toBe('edited');
    });
  });

  it('its answer lost and the read back failing: the intent is kept, and the next apply reads the audience back and PATCHes it back', async () => {
    await withExecutor(undefined, async (env) => {
      const { id, message } = await lostPatch(env, true);
      expect(message).toMatch(
        /^PATCH failed: .*; reading the audience back failed \(.*HTTP 500.*\): its intent is kept, and the next apply reads it back before it plans$/,
      );
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent?.kind).toBe('patch');
      expect(record?.applied?.spec.description).toBe('before');
      const reverted = await applyNoting(env, before);
      expect(reverted.resumed).toEqual([settled(id)]);
      expect(statuses(reverted)).toEqual([['prod/gold:update', 'applied']]);
      expect(patches(env)).toBe(1);
      expect(remoteGold(env).description).toBe('before');
    });
  });

  it('an apply killed after its PATCH reached the service, the manifest reverted since: the next apply PATCHes the audience back', async () => {
    await withExecutor(undefined, async (env) => {
      const id = await killedPatch(env);
      const outcome = await applyNoting(env, before);
      expect(outcome.resumed).toEqual([settled(id)]);
      expect(statuses(outcome)).toEqual([['prod/gold:update', 'applied']]);
      expect(patches(env)).toBe(1);
      expect(remoteGold(env).description).toBe('before');
      expect((await env.plan(before)).steps).toEqual([]);
    });
  });

  it('an apply killed after its PATCH reached the service, the manifest unchanged: found matching, nothing is PATCHed', async () => {
    await withExecutor(undefined, async (env) => {
      const id = await killedPatch(env);
      const outcome = await applyNoting(env, edited);
      expect(outcome.resumed).toEqual([settled(id)]);
      expect(outcome.plan.steps).toEqual([]);
      expect(patches(env)).toBe(0);
      expect(remoteGold(env).description).toBe('edited');
    });
  });

  it('an apply killed before its PATCH left, the manifest unchanged: the next apply PATCHes', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply(before);
      await leavePatchIntent(env);
      env.emulator.control.resetCounters();
      const outcome = await env.apply(edited);
      expect(statuses(outcome)).toEqual([['prod/gold:update', 'applied']]);
      expect(patches(env)).toBe(1);
      expect(remoteGold(env).description).toBe('edited');
      expect((await env.plan(edited)).steps).toEqual([]);
    });
  });

  it("the resume's read back failing keeps the intent: nothing is PATCHed from the record", async () => {
    await withExecutor(undefined, async (env) => {
      const id = await killedPatch(env);
      env.emulator.control.queueFault({ kind: 'error500', endpoint: 'bulkGetAudiences', count: 20 });
      const outcome = await applyNoting(env, before);
      env.emulator.control.clearFaults();
      expect(outcome.resumed).toEqual([
        expect.stringMatching(
          /^prod\/gold: interrupted patch could not be settled \(.*HTTP 500.*\); its intent is kept for the next apply$/,
        ),
      ]);
      expect(patches(env)).toBe(0);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('patch');
      expect(remoteGold(env).description).toBe('edited');
      const next = await applyNoting(env, before);
      expect(next.resumed).toEqual([settled(id)]);
      expect(remoteGold(env).description).toBe('before');
    });
  });

  it('the read back not showing the audience (one 404 proves nothing): not recorded gone; the record is kept as it was, and the refresh named', async () => {
    await withExecutor(undefined, async (env) => {
      const id = await killedPatch(env);
      // Deleted outside audiencectl, or not seen yet by the replica that answers: the reads cannot tell.
      env.emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', id);
      const outcome = await applyNoting(env, before);
      expect(outcome.resumed).toEqual([
        `prod/gold: interrupted PATCH of ${id} not settled by reading the audience back: neither a bulk read nor its lookup shows it (one 404 proves nothing); its record is kept as it was, with the spec before the PATCH, which the service may not hold: apply --refresh (under a controller, its next refresh) reads the audience back and creates it again only if it is gone`,
      ]);
      expect(outcome.plan.steps).toEqual([]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(id);
      expect(record?.intent).toBeUndefined();
      expect(record?.applied?.spec.description).toBe('before');
    });
  });
});
