import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { holdCreates, remoteAudience, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { waitOutHeldCreates } from '../helpers/held-creates.js';
import { manifestObject } from '../helpers/manifests.js';
import { audienceBody } from '../helpers/with-emulator.js';

/**
 * The `audienceIds: distinct` reading of the Audiences API page: an external audience is listed
 * there under an `id` of its own, and its `audienceId` field holds the id /core/ais knows it by.
 * An audience audiencectl finds by name (adopted, or its own create adopted from the list) was
 * recorded under the list's `id`: its PATCH, runs and DELETE went to an id /core/ais does not
 * know (404: "deleted outside audiencectl"), while the audience itself stayed as it was.
 */
const DISTINCT = { compat: { audienceIds: 'distinct' as const } };
const ORG = DEMO_CLIENT.orgId;

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

describe('an audience found by name, listed under an id of its own', () => {
  it('adopted: recorded under its /core/ais id, so its PATCH, run and DELETE reach it', async () => {
    await withExecutor(DISTINCT, async (env) => {
      const theirs = env.emulator.control.uiCreateAudience(
        ORG,
        'prod',
        audienceBody({ name: 'Audience gold', description: 'Made in the UI' }),
        'colleague@AdobeID',
      );
      const adopting = (description: string, runs = false) =>
        manifestObject('gold', {
          metadata: { adopt: true },
          spec: { description },
          ingestion: runs ? { onCreate: false, request: 'r1' } : { onCreate: false },
        });

      const adopted = await env.apply([adopting('About gold')]);
      expect(statuses(adopted)).toEqual(['prod/gold:adopt applied']);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(theirs.audienceId);
      expect(remoteAudience(env, 'gold').description).toBe('About gold');

      const changed = await env.apply([adopting('Changed')]);
      expect(statuses(changed)).toEqual(['prod/gold:update applied']);
      expect(remoteAudience(env, 'gold').description).toBe('Changed');

      const ran = await env.apply([adopting('Changed', true)]);
      expect(statuses(ran)).toEqual(['prod/gold:run applied']);
      expect(env.emulator.control.counters().byEndpoint.startRun.requests).toBe(1);

      const removed = await env.apply([], { plan: { allowEmptySource: true } });
      expect(statuses(removed)).toEqual(['prod/gold:delete applied']);
      expect(env.emulator.control.listAudiences(ORG, 'prod')).toEqual([]);
    });
  });

  it('a create whose answer was lost, adopted from the list: its next change reaches it', async () => {
    await withExecutor(DISTINCT, async (env) => {
      const gold = (description: string) =>
        manifestObject('gold', { spec: { description }, ingestion: { onCreate: false } });
      // The POST makes the audience, its answer lost; not listed before the repeat POST, which
      // is refused (409): the next apply finds it by name and adopts it as its own create's.
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      const held = holdCreates(env);
      await env.apply([gold('About gold')]);
      await waitOutHeldCreates(env.store());
      held.release();
      const adopted = await env.apply([gold('About gold')]);
      expect(adopted.report?.results[0]?.message).toMatch(/^adopted /);
      const made = remoteAudience(env, 'gold');
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made.audienceId);

      const changed = await env.apply([gold('Changed')]);
      expect(statuses(changed)).toEqual(['prod/gold:update applied']);
      expect(remoteAudience(env, 'gold').description).toBe('Changed');
    });
  });

  it('its record lost and rebuilt by state import --discover: its next change reaches it', async () => {
    await withExecutor(DISTINCT, async (env) => {
      const gold = (description: string) =>
        manifestObject('gold', { spec: { description }, ingestion: { onCreate: false } });
      await env.apply([gold('About gold')]);
      const made = remoteAudience(env, 'gold');
      await rm(env.stateDir, { recursive: true, force: true });
      const cli = (args: string[]) =>
        runCliInProcess([...args, '--state', env.stateDir], { env: emulatorEnv(env.emulator) });
      expect((await cli(['init'])).code).toBe(0);
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        await new ManifestDir(dir).write([gold('About gold')]);
        const discovered = await cli(['state', 'import', '--discover', dir]);
        expect({ code: discovered.code, stderr: discovered.stderr }).toEqual({ code: 0, stderr: '' });
      });
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made.audienceId);

      const changed = await env.apply([gold('Changed')]);
      expect(statuses(changed)).toEqual(['prod/gold:update applied']);
      expect(remoteAudience(env, 'gold').description).toBe('Changed');
    });
  });
});
