import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { eventuallyLogged } from './helpers/controller.js';
import { controllerSpec, goldCreatedFromDir } from './helpers/controller-spec.js';

/**
 * The controller's `--dir` that stops being a readable directory for another reason than being
 * removed: a file put in its place, or a directory on its path replaced by a file (ENOTDIR; so
 * do EACCES, a stale mount's ESTALE, EIO). The pass said `directory <dir> does not exist`, and a
 * person looked for a removed directory that is there (review known-42, M-1); it now says what
 * stat found, in its own code, and deletes nothing. The built CLI, spawned, against the emulator
 * over HTTP.
 */
const spec = controllerSpec('audiencectl-dir-stat-');

async function controllerOf(replace: (root: string, dir: string) => Promise<void>, nested: boolean) {
  const { em, root } = await spec.setUp();
  const dir = nested ? path.join(root, 'mnt', 'manifests') : path.join(root, 'manifests');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
  const ctl = await goldCreatedFromDir(spec, { em, root, dir, more: ['--resync-interval', '2s'] });
  await replace(root, dir);
  // A pass the watcher started mid-replacement may find nothing there (ENOENT): the first resync
  // requested after it is of the directory as it is left.
  const requested = ctl.logs.length;
  await ctl.waitForLog(
    (l) => ctl.logs.indexOf(l) >= requested && l.msg === 'reconcile requested' && l['reason'] === 'resync',
    30_000,
  );
  const status = await eventuallyLogged(
    [ctl],
    () => ctl.status(),
    (s) => s.reconcile.lastError !== null && s.reconcile.lastError.code !== 'SOURCE_PATH_NOT_FOUND',
    30_000,
    'a pass of the directory as it is left failed',
  );
  expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
    'Audience gold',
  ]);
  return { status, dir };
}

describe('run --dir: the directory no longer a directory, though not removed', () => {
  it('a file in its place: the pass says it is not a directory', async () => {
    const { status, dir } = await controllerOf(async (_root, dir) => {
      await rm(dir, { recursive: true });
      await writeFile(dir, 'not a directory\n');
    }, false);
    expect(status.reconcile.lastError).toMatchObject({
      code: 'SOURCE_PATH_NOT_DIRECTORY',
      message: `directory ${dir} is not a directory (a file is in its place)`,
    });
  });

  it('a parent replaced by a file (ENOTDIR): the pass names that cause, not "does not exist"', async () => {
    const { status, dir } = await controllerOf(async (root) => {
      await rm(path.join(root, 'mnt'), { recursive: true });
      await writeFile(path.join(root, 'mnt'), 'not a directory\n');
    }, true);
    expect(status.reconcile.lastError).toMatchObject({
      code: 'SOURCE_PATH_UNREADABLE',
      message: `directory ${dir} cannot be read: a directory on its path is a file now (ENOTDIR)`,
    });
  });
});
