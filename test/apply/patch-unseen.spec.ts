import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/plan/render/text.js';
import { patchRequests, remoteAudience, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * A PATCH whose outcome is unknown may have changed what the Audiences API never shows (a
 * field's labels): reading the audience back cannot tell, so the record marks those properties
 * unknown and the next plan PATCHes them to the manifest, even when the manifest is back to the
 * spec recorded before the PATCH. Tags and sourceSpec are never PATCHed (they force
 * replacement), so the field labels are the only such properties a PATCH sends.
 */

const withTier = (labels: string[], description = 'About gold') =>
  manifestObject('gold', {
    ingestion: { onCreate: false },
    spec: {
      description,
      fields: [
        { name: 'email', type: 'string', identityNs: 'email' },
        { name: 'tier', type: 'string', labels },
      ],
    },
  });
const before = [withTier(['core/C2'])];
const relabelled = [withTier(['core/C3'])];
const described = [withTier(['core/C2'], 'edited')];

const remoteGold = (env: ExecutorEnv) => remoteAudience(env, 'gold');

const tierLabels = (env: ExecutorEnv) => remoteGold(env).fields.find((f) => f.name === 'tier')?.labels;
const patches = patchRequests;
const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => [r.step.id, r.status]);

/**
 * gold applied as `before`, then an apply of `manifests` whose PATCH reaches the service at
 * every attempt with every answer lost; with `readFails`, its read back fails too (500s), and
 * the intent is left for the next apply's resume, as a stopped apply leaves it.
 */
async function lostPatch(
  env: ExecutorEnv,
  manifests: typeof before,
  readFails: boolean,
): Promise<string | undefined> {
  await env.apply(before);
  env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'patchAudience', count: 20 });
  if (readFails)
    env.emulator.control.queueFault({ kind: 'error500', endpoint: 'bulkGetAudiences', count: 20 });
  const outcome = await env.apply(manifests);
  env.emulator.control.clearFaults();
  expect(statuses(outcome)).toEqual([['prod/gold:update', 'failed']]);
  expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe(readFails ? 'patch' : undefined);
  env.emulator.control.resetCounters();
  return outcome.report?.results[0]?.message;
}

const unknownLine =
  /^ {8}~ fields\.tier\.labels: \(unknown\) -> \[core\/C2\] {2}# the service's value is unknown since an interrupted PATCH at \d{4}-\d\d-\d\dT[\d:.]+Z$/m;

describe("a PATCH of unknown outcome that changed a field's labels (which the service never shows)", () => {
  it("its read back failing too, the next apply's resume marks them; the manifest reverted: its plan PATCHes the labels back", async () => {
    await withExecutor(undefined, async (env) => {
      await lostPatch(env, relabelled, true);
      // The service made the change.
      expect(tierLabels(env)).toEqual(['core/C3']);
      const startedAt = (await env.store().get('prod', 'gold'))?.intent?.startedAt;
      expect(startedAt).toEqual(expect.any(String));
      // The resume reads the audience back before the plan (which alone cannot settle an intent);
      // declined at its prompt, the apply leaves the mark it wrote, dated as the PATCH began.
      let resumed: string[] = [];
      await env.apply(before, {
        review: (_, notes) => {
          resumed = notes;
          return false;
        },
      });
      expect((await env.store().get('prod', 'gold'))?.unknownAfterPatch).toEqual({
        at: startedAt,
        paths: ['fields.tier.labels'],
      });
      const reverted = await env.apply(before);
      expect(resumed).toEqual([
        expect.stringMatching(
          /^prod\/gold: interrupted PATCH of \S+ settled by reading the audience back: the service shows the description, labels and ttlInDays recorded before it; fields\.tier\.labels marked unknown \(the service never shows them; the plan PATCHes them to the manifest\); the plan brings the audience to the manifest$/,
        ),
      ]);
      expect(reverted.plan.steps.map((s) => [s.id, s.patch])).toEqual([
        ['prod/gold:update', { fields: [{ name: 'tier', labels: ['core/C2'] }] }],
      ]);
      expect(statuses(reverted)).toEqual([['prod/gold:update', 'applied']]);
      expect(patches(env)).toBe(1);
      expect(tierLabels(env)).toEqual(['core/C2']);
      expect((await env.plan(before)).steps).toEqual([]);
    });
  });

  it("the update step's own read back settling it, the manifest reverted: the next plan PATCHes the labels back, and says why", async () => {
    await withExecutor(undefined, async (env) => {
      const message = await lostPatch(env, relabelled, false);
      expect(message).toMatch(
        /; read back, the service shows the description, labels and ttlInDays recorded before it; fields\.tier\.labels marked unknown \(the service never shows them; the plan PATCHes them to the manifest\)$/,
      );
      expect(tierLabels(env)).toEqual(['core/C3']);
      const text = renderText(await env.plan(before), { color: false });
      expect(text).toMatch(unknownLine);
      const reverted = await env.apply(before);
      expect(statuses(reverted)).toEqual([['prod/gold:update', 'applied']]);
      expect(tierLabels(env)).toEqual(['core/C2']);
      expect((await env.plan(before)).steps).toEqual([]);
    });
  });

  // The retry of an attempt whose answer was lost answered 404 (a replica that has not seen the
  // audience yet): the intent is cleared as after any 404, but the first attempt may have landed.
  it('its retry answered 404: the labels are marked all the same, and the manifest reverted is PATCHed back', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply(before);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'patchAudience' });
      env.emulator.control.queueFault({
        kind: 'clientError',
        status: 404,
        endpoint: 'patchAudience',
        after: 1,
        count: 20,
      });
      const outcome = await env.apply(relabelled);
      env.emulator.control.clearFaults();
      expect(statuses(outcome)).toEqual([['prod/gold:update', 'failed']]);
      expect(outcome.report?.results[0]?.message).toMatch(
        /; fields\.tier\.labels marked unknown \(the service never shows them; the plan PATCHes them to the manifest\)$/,
      );
      expect(tierLabels(env)).toEqual(['core/C3']);
      const record = await env.store().get('prod', 'gold');
      expect([record?.intent, record?.unknownAfterPatch?.paths]).toEqual([undefined, ['fields.tier.labels']]);
      const reverted = await env.apply(before);
      expect(statuses(reverted)).toEqual([['prod/gold:update', 'applied']]);
      expect(tierLabels(env)).toEqual(['core/C2']);
    });
  });

  it('one that changed only the description: nothing is marked, the read back settles it as before', async () => {
    await withExecutor(undefined, async (env) => {
      await lostPatch(env, described, false);
      expect(remoteGold(env).description).toBe('edited');
      expect((await env.store().get('prod', 'gold'))?.unknownAfterPatch).toBeUndefined();
      expect((await env.plan(described)).steps).toEqual([]);
      const planned = await env.plan(before);
      expect(planned.steps.map((s) => [s.id, s.patch])).toEqual([
        ['prod/gold:update', { description: 'About gold' }],
      ]);
    });
  });

  it('a replacement since: the new audience is created with the manifest, the mark gone with the old one', async () => {
    await withExecutor(undefined, async (env) => {
      await lostPatch(env, relabelled, false);
      const moved = {
        ...withTier(['core/C2']),
        metadata: { name: 'gold', allowReplace: true },
        spec: {
          ...withTier(['core/C2']).spec,
          sourceSpec: { ...withTier(['core/C2']).spec.sourceSpec, path: 'exports/gold-2.csv' },
        },
      };
      const replaced = await env.apply([moved]);
      expect(statuses(replaced)).toEqual([['prod/gold:replace', 'applied']]);
      expect(tierLabels(env)).toEqual(['core/C2']);
      expect((await env.store().get('prod', 'gold'))?.unknownAfterPatch).toBeUndefined();
      expect((await env.plan([moved])).steps).toEqual([]);
    });
  });

  it('a later PATCH answered, of another property, sends the labels too and clears the mark: the plan then says No changes', async () => {
    await withExecutor(undefined, async (env) => {
      await lostPatch(env, relabelled, false);
      const next = [withTier(['core/C2'], 'edited')];
      const again = await env.apply(next);
      expect(statuses(again)).toEqual([['prod/gold:update', 'applied']]);
      expect(tierLabels(env)).toEqual(['core/C2']);
      expect(remoteGold(env).description).toBe('edited');
      expect((await env.store().get('prod', 'gold'))?.unknownAfterPatch).toBeUndefined();
      expect((await env.plan(next)).steps).toEqual([]);
    });
  });
});
