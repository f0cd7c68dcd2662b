import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { reconcilePass, remoteAudiences, withInProcessController } from './helpers/in-process.js';

/**
 * Review 41 (controller-41), F-2. docs/controller.md: "only a removed manifest
 * deletes"; a `--dir` that does not exist fails the sync in one line (SOURCE_PATH_NOT_FOUND,
 * `directory <dir> does not exist`). A directory removed (`rm -rf`, a volume unmounted) while a
 * pass runs: gone once the sync looked, the read fails on a raw `ENOENT: no such file or
 * directory, lstat '<dir>'` in /status and the log; gone once the read is done, the files `rm`
 * unlinked first are planned as removed manifests, and the check that holds a removal whose
 * directory was just written looks at a directory that is no longer there: the audience is
 * deleted. The pass is cut at the point named (the source's sync returned; the store's records
 * read for the plan), so each case lands where it says.
 */
const DEBOUNCE_MS = 300;

describe('--dir removed while a pass runs', () => {
  it('after the sync: one line naming the directory (no raw ENOENT), nothing deleted', async () => {
    let armed = false;
    let dir = '';
    const afterSync = async () => {
      if (!armed) return;
      armed = false;
      await rm(dir, { recursive: true });
    };
    await withInProcessController({ writeSettleMs: DEBOUNCE_MS, hooks: { afterSync } }, async (c) => {
      dir = c.dir;
      await writeFile(path.join(c.dir, 'gold.yaml'), quiet('gold'));
      await writeFile(path.join(c.dir, 'silver.yaml'), quiet('silver'));
      c.reconciler.trigger('startup');
      await c.reconciler.settled();
      expect(remoteAudiences(c)).toEqual(['Audience gold', 'Audience silver']);

      await writeFile(path.join(c.dir, 'gold.yaml'), quiet('gold').replace('About gold', 'Edited'));
      armed = true;
      await reconcilePass(c);
      expect(armed, 'the directory was removed after a sync').toBe(false);

      const status = await c.status();
      const error = status.reconcile.lastError ?? status.source.lastError;
      expect(error).toMatchObject({
        code: 'SOURCE_PATH_NOT_FOUND',
        message: `directory ${c.dir} does not exist`,
      });
      expect(JSON.stringify(status)).not.toContain('ENOENT');
      expect(JSON.stringify(c.logs)).not.toContain('ENOENT');
      expect(remoteAudiences(c)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('after the read, before the plan: the removals it read are not carried out', async () => {
    let armed = false;
    let dir = '';
    const beforeRecords = async () => {
      if (!armed) return;
      armed = false;
      await rm(dir, { recursive: true });
    };
    await withInProcessController({ writeSettleMs: DEBOUNCE_MS, hooks: { beforeRecords } }, async (c) => {
      dir = c.dir;
      await writeFile(path.join(c.dir, 'gold.yaml'), quiet('gold'));
      await writeFile(path.join(c.dir, 'silver.yaml'), quiet('silver'));
      c.reconciler.trigger('startup');
      await c.reconciler.settled();
      expect(remoteAudiences(c)).toEqual(['Audience gold', 'Audience silver']);

      // `rm -rf` unlinks the files one by one: the pass reads the tree with silver.yaml gone,
      // and the directory is gone before it plans.
      await rm(path.join(c.dir, 'silver.yaml'));
      armed = true;
      await reconcilePass(c);
      expect(armed, 'the directory was removed after the read').toBe(false);

      expect(remoteAudiences(c), 'silver deleted: its directory vanished, no manifest was removed').toEqual([
        'Audience gold',
        'Audience silver',
      ]);
      const status = await c.status();
      expect(status.reconcile.lastError).toMatchObject({
        code: 'SOURCE_PATH_NOT_FOUND',
        message: `directory ${c.dir} does not exist`,
      });
      expect(JSON.stringify(status)).not.toContain('ENOENT');
    });
  });
});
