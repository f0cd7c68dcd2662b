import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { eventuallyLogged } from './helpers/controller.js';
import { controllerSpec, goldCreatedFromDir } from './helpers/controller-spec.js';

/**
 * Review 41 (controller-41), F-2, as a user meets it. docs/controller.md ("A pass"):
 * a sync failure is reported and forced passes (`resync`, ...) reconcile the previous revision
 * meanwhile. With `--dir` there is no previous revision to read but the directory itself: once it
 * is removed (or its volume unmounted), the sync says `SOURCE_PATH_NOT_FOUND: directory <dir> does
 * not exist`, and every resync then fails the pass on a raw
 * `ENOENT: no such file or directory, lstat '<dir>'` (code ENOENT) in /status
 * `reconcile.lastError` and a `reconcile failed` error line. The built CLI, spawned, against the
 * emulator over HTTP.
 */
const spec = controllerSpec('audiencectl-review-41-gone-');

describe('run --dir: the directory removed, then a resync', () => {
  it('fails the pass in one line naming the directory, never a raw ENOENT; nothing deleted', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const ctl = await goldCreatedFromDir(spec, { em, root, dir, more: ['--resync-interval', '2s'] });

    await rm(dir, { recursive: true });
    // A resync after the removal: its pass ends one way or the other.
    await ctl.waitForLog((l) => l.msg === 'reconcile requested' && l['reason'] === 'resync', 30_000);
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastError !== null,
      30_000,
      'the resync pass failed',
    );
    expect(status.reconcile.lastError).toMatchObject({
      code: 'SOURCE_PATH_NOT_FOUND',
      message: `directory ${dir} does not exist`,
    });
    expect(JSON.stringify(status)).not.toContain('ENOENT');
    expect(JSON.stringify(ctl.logs)).not.toContain('ENOENT');
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
      'Audience gold',
    ]);
  });
});
