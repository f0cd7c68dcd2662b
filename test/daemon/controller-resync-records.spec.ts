import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startController } from '../../src/daemon/controller.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { recordPath } from '../../src/state/paths.js';
import { manifestYaml } from '../helpers/manifests.js';
import { aRecord } from '../state/helpers.js';
import { controllerOptions } from './helpers/start-options.js';

/** The plan's step counts, without the kinds it has none of. */
function stepsOf(summary: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([, count]) => count > 0));
}

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('a resync pass of the controller', () => {
  it('reads the records again: a record removed by hand is not planned from a kept copy', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-resync-records-'));
    const dir = path.join(root, 'manifests');
    const stateDir = path.join(root, 'state');
    await mkdir(dir);
    await writeFile(path.join(dir, 'kept.yaml'), manifestYaml('kept', { ingestion: { onCreate: false } }));
    // `gone` is recorded and has no manifest: the plan deletes it.
    const store = new FileStateStore(stateDir);
    await store.lock();
    await store.put(aRecord('gone'));
    await store.unlock();

    // `run --dir … --dry-run` without credentials, in this process, with the records kept
    // between passes (no --full-reads); the resync is triggered by hand, not by its timer.
    const controller = await startController(
      controllerOptions(
        dir,
        { kind: 'dir', dir: stateDir },
        {},
        {
          planOptions: (now) => ({
            now,
            allowReplace: false,
            allowMassDelete: true,
            allowEmptySource: false,
          }),
        },
      ),
    );
    try {
      const { reconciler } = controller;
      await reconciler.settled();
      expect(stepsOf(reconciler.status().plan?.summary)).toEqual({ create: 1, delete: 1 });

      // An operator takes `gone` out of audiencectl's hands by removing its record file,
      // bypassing the store (the serial does not move). The resync is the promise that
      // such an edit is seen: it must not delete the audience from the copy of the records.
      await rm(recordPath(stateDir, 'prod', 'gone'));
      reconciler.trigger('resync');
      await reconciler.settled();
      expect(stepsOf(reconciler.status().plan?.summary)).toEqual({ create: 1 });
    } finally {
      await controller.stop('test over');
    }
  });
});
