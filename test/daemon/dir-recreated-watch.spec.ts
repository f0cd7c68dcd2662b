import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { eventually } from './helpers/controller.js';
import { controllerSpec, goldCreatedFromDir } from './helpers/controller-spec.js';

/**
 * Review 41 (controller-41), F-5. docs/controller.md ("Sources", "Triggers"): `--dir` is watched, and a burst
 * of edits is a pass (`watch`) after `--watch-debounce`. A directory removed and made again (a
 * generator that cleans its output, `rm -rf manifests && cp -r build manifests`, a volume
 * remounted) is never watched again: the watcher ended with the directory, the edits made in the
 * new one start no pass, and they wait for `--interval` (60 s by default; here an hour, so that
 * only the watcher can see them) for as long as the controller runs. The built CLI, spawned.
 */
const spec = controllerSpec('audiencectl-review-41-again-');

const noRun = { ingestion: { onCreate: false } };

/** The names of `em`'s audiences in sandbox prod, sorted. */
const audienceNames = (em: RunningEmulator) => (): string[] =>
  em.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((a) => a.audienceName)
    .sort();

describe('run --dir: the directory removed and made again', () => {
  it('watches the new directory: its edits are applied without waiting for --interval', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    const ctl = await goldCreatedFromDir(spec, { em, root, dir });

    await rm(dir, { recursive: true });
    await ctl.waitForLog((l) => l.msg === 'sync failed' && l['code'] === 'SOURCE_PATH_NOT_FOUND', 30_000);
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    await writeFile(path.join(dir, 'silver.yaml'), manifestYaml('silver', noRun));

    const names = audienceNames(em);
    const found = await eventually(names, (n) => n.length === 2, 30_000, 'silver created').catch(names);
    expect(found, 'the new directory is not watched').toEqual(['Audience gold', 'Audience silver']);
    expect((await ctl.status()).source.lastError).toBeNull();

    // And an edit of the new directory afterwards: only its watcher can see it.
    await writeFile(path.join(dir, 'bronze.yaml'), manifestYaml('bronze', noRun));
    const after = await eventually(names, (n) => n.length === 3, 30_000, 'bronze created').catch(names);
    expect(after, 'an edit of the new directory is not watched').toEqual([
      'Audience bronze',
      'Audience gold',
      'Audience silver',
    ]);
  });

  it('watches a directory replaced in one go (rm -rf && cp -r): no pass in between tells', async () => {
    // chokidar says nothing of the old directory's removal (the path is a directory again when it
    // looks), and its watch stayed on the removed one: no edit of the new one was seen again.
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    const ctl = await goldCreatedFromDir(spec, { em, root, dir });

    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'gold.yaml'), manifestYaml('gold', noRun));
    writeFileSync(path.join(dir, 'silver.yaml'), manifestYaml('silver', noRun));
    await ctl.waitForLog((l) => l.msg === 'the watched directory is back: watching it again', 30_000);

    // Made after the new directory is watched: only its watcher can see it.
    await writeFile(path.join(dir, 'bronze.yaml'), manifestYaml('bronze', noRun));
    const names = audienceNames(em);
    const after = await eventually(names, (n) => n.length === 3, 30_000, 'silver and bronze created').catch(
      names,
    );
    expect(after, 'an edit of the new directory is not watched').toEqual([
      'Audience bronze',
      'Audience gold',
      'Audience silver',
    ]);
  });

  it('watches a folder in it replaced in one go: an edit of the new folder is applied', async () => {
    // chokidar keeps listing a folder removed and made again at once as watched, and the watch
    // stayed on the removed one: the new folder's edits waited for --interval (an hour here).
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const team = path.join(dir, 'team');
    await mkdir(team, { recursive: true });
    await writeFile(path.join(team, 'gold.yaml'), manifestYaml('gold', noRun));
    const ctl = await goldCreatedFromDir(spec, { em, root, dir });

    const synced = (await ctl.status()).source.lastSyncAt;
    rmSync(team, { recursive: true });
    mkdirSync(team);
    writeFileSync(path.join(team, 'gold.yaml'), manifestYaml('gold', noRun));
    // Synced again (the same revision: no pass), after the edits' burst or the folder watched
    // anew ('back'). Not a wait for 'back': when chokidar finds the old folder gone (emptied and
    // unreadable) before its own removal event is read, chokidar drops it and watches the new
    // one itself on reading its parent (unlinkDir, addDir), and nothing says 'back' (the case
    // that failed about 3 times in 15 while this waited for 'back', the new folder watched).
    await eventually(
      () => ctl.status(),
      (s) => s.source.lastSyncAt !== synced,
      30_000,
      'the new folder read',
    );

    // Made after the new folder is watched: only its watcher can see it.
    await writeFile(path.join(team, 'silver.yaml'), manifestYaml('silver', noRun));
    const names = audienceNames(em);
    const after = await eventually(names, (n) => n.length === 2, 30_000, 'silver created').catch(names);
    expect(after, 'an edit of the new folder is not watched').toEqual(['Audience gold', 'Audience silver']);
  });
});
