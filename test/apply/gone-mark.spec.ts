import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AudienceRecord, RunRecord } from '../../src/state/schema.js';
import type { StateStore } from '../../src/state/store.js';
import { ManifestDir } from '../helpers/apply-env.js';
import { executorEnv, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { heldMessage, keptNote, MARKED } from '../helpers/held-name.js';
import { applyKilledAt } from '../helpers/kill-at.js';
import { waitOutHeldCreates } from '../helpers/held-creates.js';
import { createdWithRun, gold, ORG, remote, statuses } from '../helpers/replaced-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

// An audience deleted in the UI, found gone by `apply --refresh`, is created again under the same
// record. The service may still hold the deleted audience's name a while (the emulator's
// `deletedNames: held`: a minute): the POST meets a 409 with nothing listed under the name. The
// record keeps the deleted audience's `applied` with no audience id, as a replace's DELETE does
// (the mark of the name it held), so that 409 fails the step and the next apply POSTs again,
// instead of blocking the record for good as "made outside audiencectl" with an import hint for
// an audience that no longer exists.

const HELD = { compat: { deletedNames: 'held' as const } };

/** A minute later in the service's clock: the deleted audience's name is free again. */
const ONE_MINUTE_ON = { clockOffsetMs: 61_000 };

/** The record as the re-create leaves it while the name is held: the mark and the runs, nothing else. */
function waiting(before: AudienceRecord, former: RunRecord): AudienceRecord {
  return {
    schemaVersion: 2,
    sandbox: 'prod',
    key: 'gold',
    deletionPolicy: 'Delete',
    manifestFile: 'gold.yaml',
    applied: before.applied!,
    runs: [former],
  };
}

/** gold created with its first run, then deleted in the UI; what a refresh apply starts from. */
async function deletedInUi(
  env: ExecutorEnv,
): Promise<{ before: AudienceRecord; former: RunRecord; oldId: string }> {
  const { former, oldId } = await createdWithRun(env);
  const before = (await env.store().get('prod', 'gold'))!;
  env.emulator.control.uiDeleteAudience(ORG, 'prod', oldId);
  return { before, former, oldId };
}

const posts = (env: ExecutorEnv) =>
  env.emulator.control
    .requestLog()
    .filter((entry) => entry.endpoint === 'createAudience')
    .map((entry) => entry.status);

const HELD_UNLISTED = heldMessage(MARKED, keptNote(1));

/** Once the name is free: created once, its first run started, the deleted audience's run kept. */
async function createdOnceFree(env: ExecutorEnv, before: AudienceRecord, former: RunRecord): Promise<void> {
  env.emulator.control.updateSettings(ONE_MINUTE_ON);
  const created = await env.apply([gold]);
  expect(statuses(created)).toEqual(['prod/gold:create applied', 'prod/gold:run applied']);
  const [made, ...others] = remote(env);
  expect(others).toEqual([]);
  expect(made?.audienceId).not.toBe(before.audienceId);
  const record = await env.store().get('prod', 'gold');
  expect(record?.audienceId).toBe(made?.audienceId);
  expect(record?.runs.map((run) => [run.runId, run.formerAudienceId])).toEqual([
    [created.report?.results[1]?.runId, undefined],
    [former.runId, before.audienceId],
  ]);
  expect((await env.plan([gold])).steps).toEqual([]);
}

describe('an audience deleted outside audiencectl whose name the service still holds', () => {
  it('is re-created by the refresh apply once the name is free: failed meanwhile, never blocked', async () => {
    await withExecutor(HELD, async (env) => {
      const { before, former, oldId } = await deletedInUi(env);

      const refreshed = await env.apply([gold], { refresh: true });
      expect(statuses(refreshed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(refreshed.report?.results[0]?.message).toBe(
        heldMessage(
          `${oldId}, the audience deleted outside audiencectl, if the service still holds its name`,
          keptNote(1),
        ),
      );
      expect(await env.store().get('prod', 'gold')).toEqual(waiting(before, former));
      expect(remote(env)).toEqual([]);

      // Still held: a plain create now (the planner reads the mark as no audience), refused the same way.
      const again = await env.apply([gold]);
      expect(again.plan.steps.map((step) => `${step.kind} ${step.reason}`)).toEqual([
        'create the record holds no audience (the runs of its deleted audience, kept for the daily run budget, and the mark of the name it held): create it',
        expect.stringMatching(/^run /),
      ]);
      expect(statuses(again)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(again.report?.results[0]?.message).toBe(HELD_UNLISTED);
      expect(await env.store().get('prod', 'gold')).toEqual(waiting(before, former));

      await createdOnceFree(env, before, former);
      expect(posts(env)).toEqual([202, 409, 409, 202]);
    });
  });

  it('its POST refused (400): the mark is kept with the runs, and the next 409 is still the name held', async () => {
    await withExecutor(HELD, async (env) => {
      const { before, former } = await deletedInUi(env);
      // Refused in both shapes of sourceSpec: a 400 naming nothing sent is tried in the other.
      env.emulator.control.queueFault({
        kind: 'clientError',
        endpoint: 'createAudience',
        status: 400,
        count: 2,
      });

      const refused = await env.apply([gold], { refresh: true });
      expect(statuses(refused)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(refused.report?.results[0]?.message).toMatch(
        /^create refused: .*; the create is dropped from the record, which keeps the name of its deleted audience and its 1 run \(of a deleted audience: they count against the daily run budget\)$/,
      );
      expect(await env.store().get('prod', 'gold')).toEqual(waiting(before, former));

      const next = await env.apply([gold]);
      expect(statuses(next)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(next.report?.results[0]?.message).toBe(HELD_UNLISTED);
      expect((await env.store().get('prod', 'gold'))?.blocked).toBeUndefined();
      await createdOnceFree(env, before, former);
    });
  });

  it('a process killed at the write before its POST leaves the record as it was; the next refresh goes on', async () => {
    await withExecutor(HELD, async (env) => {
      const { before, former, oldId } = await deletedInUi(env);
      // The process dies as it writes the create's intent, the last write before the POST.
      const killedBeforePost = (store: StateStore): StateStore =>
        new Proxy(store, {
          get(target, property, receiver) {
            if (property === 'beginIntent') return () => Promise.reject(new Error('killed'));
            const value = Reflect.get(target, property, receiver) as unknown;
            return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
          },
        });
      const killed = await env.apply([gold], { refresh: true, store: killedBeforePost });
      expect(statuses(killed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(killed.report?.results[0]?.message).toBe('killed');
      expect(posts(env)).toEqual([202]);

      const next = await env.apply([gold], { refresh: true });
      expect(statuses(next)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(next.report?.results[0]?.message).toContain(
        `${oldId}, the audience deleted outside audiencectl, if the service still holds its name`,
      );
      expect(await env.store().get('prod', 'gold')).toEqual(waiting(before, former));
      await createdOnceFree(env, before, former);
    });
  });

  it('killed (kill -9) at its POST: the intent is written with the mark and the runs; resumed, created once', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10, ...HELD }, async (emulator) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-gone-mark-'));
      try {
        const env = executorEnv(emulator, path.join(tmp, 'state'));
        const { before, former } = await deletedInUi(env);
        const dir = new ManifestDir(path.join(tmp, 'm'));
        await dir.write([gold]);
        await applyKilledAt(env, dir.dir, 'createAudience', { k: 1, hold: true }, ['--refresh']);
        const killed = await env.store().get('prod', 'gold');
        expect(killed?.intent?.kind, 'the kill landed in the create step').toBe('create');
        expect({ ...killed, intent: undefined, pendingCreate: undefined }).toEqual({
          ...waiting(before, former),
          intent: undefined,
          pendingCreate: undefined,
        });

        // Held while the killed POST may land unlisted (steps/create-hold.ts), nothing sent.
        const held = await env.apply([gold]);
        expect(statuses(held)).toEqual(['prod/gold:create blocked', 'prod/gold:run blocked']);
        await waitOutHeldCreates(env.store());
        // The name still held: the resumed POST is refused, its intent kept, nothing blocked.
        const resumed = await env.apply([gold]);
        expect(statuses(resumed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
        expect((await env.store().get('prod', 'gold'))?.blocked).toBeUndefined();
        await createdOnceFree(env, before, former);
        // The original create and the re-create (the killed POST's answer was never sent).
        expect(posts(env).filter((status) => status === 202)).toHaveLength(2);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
});
