import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planScopeOf } from '../../src/source/file-filter.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController, reconcilePass, remoteAudiences } from './helpers/in-process.js';

/**
 * The controller plans removals as apply does, and holds the same ones (review-deletes items 1
 * and 6): `--path` below the directory the records were applied from, and `--include`.
 */
const quiet = (name: string) => manifestYaml(name, { ingestion: { onCreate: false } });

describe('the controller holds removals whose manifests it did not read', () => {
  it('--path below the directory the records were applied from: those above are held, a removed one is deleted', async () => {
    await withInProcessController({ source: 'git', path: 'audiences/loyalty' }, async (controller) => {
      const repo = controller.git!;
      await repo.commit({
        'audiences/loyalty/gold.yaml': quiet('gold'),
        'audiences/retail/bronze.yaml': quiet('bronze'),
        'audiences/retail/tin.yaml': quiet('tin'),
      });
      // Applied from the repository's `audiences` by the CLI: its records name files relative to it.
      await mkdir(controller.stateDir, { recursive: true });
      const applied = await runCliInProcess(
        [
          'apply',
          path.join(repo.root, 'clone', 'audiences'),
          '--state',
          controller.stateDir,
          '--auto-approve',
        ],
        { env: emulatorEnv(controller.emulator) },
      );
      expect(applied.code).toBe(0);
      const before = remoteAudiences(controller, true);
      expect(before.map((a) => a.split(' ')[1])).toEqual(['bronze', 'gold', 'tin']);
      // tin's manifest removed; bronze's moved: no removed record's file is above, gold (matched,
      // recorded as loyalty/gold.yaml) says where the records were applied from.
      await repo.commit({
        'audiences/retail/tin.yaml': null,
        'audiences/retail/bronze.yaml': null,
        'audiences/web/bronze.yaml': quiet('bronze'),
      });

      await reconcilePass(controller);
      const after = remoteAudiences(controller, true);
      expect(after).toEqual(before.filter((a) => !a.startsWith('Audience tin')));
      const markdown = controller.reconciler.planMarkdown() ?? '';
      expect(markdown).toContain(
        'its manifest audiences/web/bronze.yaml is above the directory given; the audience is left as it is: give the directory it was applied from (audiences)',
      );
      expect((await controller.status()).plan?.summary).toMatchObject({ delete: 1, held: 1 });
    });
  });

  it('--include: a manifest moved out of it is held, its audience kept', async () => {
    const include = ['loyalty/**'];
    await withInProcessController(
      { read: { include }, plan: { scope: planScopeOf({ include }) } },
      async (controller) => {
        await mkdir(path.join(controller.dir, 'loyalty'));
        await mkdir(path.join(controller.dir, 'partners'));
        await writeFile(path.join(controller.dir, 'loyalty/gold.yaml'), quiet('gold'));
        await writeFile(path.join(controller.dir, 'loyalty/silver.yaml'), quiet('silver'));
        await reconcilePass(controller);
        const before = remoteAudiences(controller, true);
        expect(before).toHaveLength(2);

        await rename(
          path.join(controller.dir, 'loyalty/gold.yaml'),
          path.join(controller.dir, 'partners/gold.yaml'),
        );
        await reconcilePass(controller);
        expect(remoteAudiences(controller, true)).toEqual(before);
        // The Markdown escapes the reason's marks (loyalty/** as loyalty/\*\*).
        expect(controller.reconciler.planMarkdown()).toContain(
          'its manifest is now partners/gold.yaml, outside --include loyalty/\\*\\*; the audience is left as it is',
        );
        expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 1 });
      },
    );
  });
});
