import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController, type InProcessController } from './helpers/in-process.js';

/**
 * The deletion guards in the controller, as `run --max-deletes 1` sets them: a
 * revision that removes every manifest is refused (/status and the log say why), a
 * removal over the limit is held, forgets are not deletions, a removal within it goes.
 */
const KEYS = { a: 'Delete', b: 'Delete', c: 'Delete', d: 'Orphan', e: 'Orphan' } as const;

async function revision(controller: InProcessController, keys: readonly (keyof typeof KEYS)[]) {
  for (const key of Object.keys(KEYS) as (keyof typeof KEYS)[]) {
    const file = path.join(controller.dir, `${key}.yaml`);
    if (keys.includes(key)) {
      const manifest = { metadata: { deletionPolicy: KEYS[key] }, ingestion: { onCreate: false } };
      await writeFile(file, manifestYaml(key, manifest));
    } else await rm(file, { force: true });
  }
  controller.reconciler.trigger('watch');
  await controller.reconciler.settled();
}

describe('deletion guards in the controller', () => {
  it('refuses an empty revision and a removal over --max-deletes, saying why; forgets are not counted', async () => {
    await withInProcessController({ plan: { maxDeletes: 1 } }, async (controller) => {
      const { emulator, status, logs } = controller;
      const remote = () =>
        emulator.control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((a) => a.audienceName)
          .sort();
      const states = async () => Object.fromEntries((await status()).audiences.map((a) => [a.key, a.state]));
      await revision(controller, ['a', 'b', 'c', 'd', 'e']);
      expect(remote()).toEqual(['Audience a', 'Audience b', 'Audience c', 'Audience d', 'Audience e']);

      // Every manifest removed: nothing is removed; /status and the log say why. (The directory's
      // scan names the files that changed: only they are read again.)
      await revision(controller, []);
      expect(logs.findLast((line) => line.msg === 'manifests read')).toMatchObject({ mode: 'incremental' });
      const why =
        'the source yielded no manifests while 5 audience(s) are managed; refusing to remove them all';
      expect(remote()).toHaveLength(5);
      const refused = await status();
      expect(refused.plan?.summary).toMatchObject({ delete: 0, forget: 0, blocked: 5 });
      for (const audience of refused.audiences) {
        expect(audience.state).toBe('blocked');
        expect(audience.lastError?.message).toContain(why);
      }
      const logged = logs
        .filter((line) => line.msg === 'step blocked')
        .map((line) => String(line['message']));
      expect(logged).toHaveLength(5);
      for (const message of logged) expect(message).toContain(why);

      // Only a kept: 2 deletions are over the limit of 1 and held; the 2 forgets go.
      await revision(controller, ['a']);
      expect(remote()).toHaveLength(5);
      expect(await states()).toEqual({ a: 'in-sync', b: 'blocked', c: 'blocked' });
      const held = (await status()).audiences.find((a) => a.key === 'b');
      expect(held?.lastError?.message).toContain('over the limit of 1; pass --allow-mass-delete');

      // One deletion is within the limit.
      await revision(controller, ['a', 'b']);
      expect(remote()).toEqual(['Audience a', 'Audience b', 'Audience d', 'Audience e']);
      expect(await states()).toEqual({ a: 'in-sync', b: 'in-sync' });
    });
  });

  it('--max-deletes 0 with --allow-mass-delete (AUDIENCECTL_ALLOW_MASS_DELETE=true) still deletes nothing', async () => {
    await withInProcessController({ plan: { maxDeletes: 0, allowMassDelete: true } }, async (controller) => {
      const { emulator, status } = controller;
      await revision(controller, ['a', 'b']);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);

      await revision(controller, ['a']);
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
      expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
      const held = (await status()).audiences.find((a) => a.key === 'b');
      expect(held?.state).toBe('blocked');
      expect(held?.lastError?.message).toContain(
        '--max-deletes 0 forbids deletions, and --allow-mass-delete does not lift it; raise --max-deletes to allow this delete',
      );
    });
  });

  it('refuses a pushed commit that removes every manifest; /status and the log say why', async () => {
    await withInProcessController({ source: 'git' }, async ({ git, reconciler, emulator, status, logs }) => {
      const repo = git!;
      const quiet = { ingestion: { onCreate: false } };
      await repo.commit({
        'audiences/README.md': 'Audiences managed by audiencectl.\n',
        'audiences/a.yaml': manifestYaml('a', quiet),
        'audiences/b.yaml': manifestYaml('b', quiet),
      });
      reconciler.trigger('startup');
      await reconciler.settled();
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);

      const removal = await repo.commit({ 'audiences/a.yaml': null, 'audiences/b.yaml': null });
      reconciler.trigger('webhook');
      await reconciler.settled();
      const why =
        'the source yielded no manifests while 2 audience(s) are managed; refusing to remove them all';
      expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
      const refused = await status();
      expect(refused.reconcile.lastRevision).toBe(removal);
      expect(refused.audiences.map((a) => [a.key, a.state, a.lastError?.message.includes(why)])).toEqual([
        ['a', 'blocked', true],
        ['b', 'blocked', true],
      ]);
      const logged = logs.filter((line) => line.msg === 'step blocked' && line['revision'] === removal);
      expect(logged.map((line) => line['key']).sort()).toEqual(['a', 'b']);
      for (const line of logged) expect(String(line['message'])).toContain(why);
      // The revision was read from the diff alone, and the guard held as after a full read.
      const read = logs.find((line) => line.msg === 'manifests read' && line['revision'] === removal);
      expect(read).toMatchObject({ mode: 'incremental', files: 0 });
    });
  });
});
