import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, rmdir, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectorySource } from '../../src/source/dir-source.js';
import { watchDirectory, type DirectoryWatcher } from '../../src/source/dir-watch.js';

let dir: string;
let watcher: DirectoryWatcher | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-watch-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await watcher?.close();
  watcher = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Until `check` holds; the deadline guards against a hang (a loaded machine may take seconds). */
async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met after 60 s');
    await sleep(20);
  }
}

function record(debounceMs = 300, maxWaitMs?: number): string[][] {
  const calls: string[][] = [];
  watcher = watchDirectory(dir, (changed) => calls.push([...changed]), {
    debounceMs,
    ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
  });
  return calls;
}

describe('watchDirectory', () => {
  it('reports a burst of edits once, then the next burst separately', async () => {
    const calls = record();
    await watcher?.ready;
    await mkdir(path.join(dir, 'team'));
    for (const name of ['a.yaml', 'b.yaml', 'team/c.yaml']) await writeFile(path.join(dir, name), 'x: 1\n');
    await writeFile(path.join(dir, 'a.yaml'), 'x: 2\n');
    await waitFor(() => calls.length === 1);
    await sleep(400);
    expect(calls).toEqual([['a.yaml', 'b.yaml', 'team', path.join('team', 'c.yaml')]]);

    await unlink(path.join(dir, 'b.yaml'));
    await waitFor(() => calls.length === 2);
    expect(calls[1]).toEqual(['b.yaml']);
  });

  it('ignores .git and node_modules', async () => {
    await mkdir(path.join(dir, '.git'));
    await mkdir(path.join(dir, 'node_modules'));
    const calls = record(100);
    await watcher?.ready;
    await writeFile(path.join(dir, '.git', 'index'), 'x');
    await writeFile(path.join(dir, 'node_modules', 'x.js'), 'x');
    await sleep(500);
    expect(calls).toEqual([]);
    await writeFile(path.join(dir, 'real.yaml'), 'x');
    await waitFor(() => calls.length === 1);
    expect(calls[0]).toEqual(['real.yaml']);
  });

  it('reports a burst that never goes quiet after maxWaitMs', async () => {
    const calls = record(200, 300);
    await watcher?.ready;
    // Written every 50 ms until reported twice, not for a fixed 900 ms: the two reports (at about
    // 300 and 650 ms) did not fit in that once this worker was descheduled 300 ms in the burst.
    // 200 writes (10 s and more) are only a bound: a burst that is never reported fails.
    for (let i = 0; i < 200 && calls.length < 2; i += 1) {
      await writeFile(path.join(dir, 'busy.yaml'), String(i));
      await sleep(50);
    }
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it('reports a burst that never goes quiet after maxWaitMs, the wall clock stepped an hour back', async () => {
    // Quiet time longer than the burst's gaps: only the maximum wait can report it.
    const calls = record(1_000, 200);
    await watcher?.ready;
    // Only Date is faked: performance.now, timers and file events run as they do.
    vi.useFakeTimers({ toFake: ['Date'] });
    await writeFile(path.join(dir, 'first.yaml'), 'x');
    // NTP steps the wall clock an hour back as the burst starts.
    vi.setSystemTime(Date.now() - 3_600_000);
    for (let i = 0; i < 40 && calls.length === 0; i += 1) {
      await writeFile(path.join(dir, `busy-${i}.yaml`), 'x');
      await sleep(50);
    }
    // Reported while the edits went on, not after they stopped.
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]).toContain('first.yaml');
  });

  it('never reports after close, even with edits pending', async () => {
    const calls = record(200);
    await watcher?.ready;
    await writeFile(path.join(dir, 'a.yaml'), 'x');
    await sleep(50);
    await watcher?.close();
    await sleep(400);
    expect(calls).toEqual([]);
  });
});

/**
 * The watched directory itself replaced: chokidar reports its removal (unlinkDir) only when its last
 * file's removal is seen after the directory went, so a directory emptied before it went (an `rm -rf`
 * descheduled between its unlinks and its rmdir on a loaded machine: CI, dir-recreated-watch on
 * Node 24), one removed and made again at once (`rm -rf manifests && cp -r build manifests`), or a
 * symlinked --dir pointed elsewhere left the watch on a directory no longer at the path, and no
 * edit of the new one was reported again. Each edit below is made after the new directory is
 * there; only a watch of the new directory can report it.
 */
describe('watchDirectory: the directory replaced at its path', () => {
  /** Watches `at`; what it reports, and its onRoot events. */
  function recordAt(at: string, rootCheckMs?: number): { calls: string[][]; roots: string[] } {
    const calls: string[][] = [];
    const roots: string[] = [];
    watcher = watchDirectory(at, (changed) => calls.push([...changed]), {
      debounceMs: 100,
      onRoot: (event) => roots.push(event),
      ...(rootCheckMs === undefined ? {} : { rootCheckMs }),
    });
    return { calls, roots };
  }
  const reported = (calls: string[][], file: string) => calls.some((burst) => burst.includes(file));

  it('emptied, removed, then made again: the new directory is watched', async () => {
    const at = path.join(dir, 'manifests');
    await mkdir(at);
    await writeFile(path.join(at, 'gold.yaml'), 'x');
    const { calls, roots } = recordAt(at);
    await watcher?.ready;
    await unlink(path.join(at, 'gold.yaml'));
    // The watcher has seen the directory empty (and still there) before it goes.
    await waitFor(() => reported(calls, 'gold.yaml'));
    await rmdir(at);
    await mkdir(at);
    await waitFor(() => roots.includes('back'));
    await writeFile(path.join(at, 'silver.yaml'), 'x');
    await waitFor(() => reported(calls, 'silver.yaml'));
  });

  it('removed and made again at once (rm -rf && cp -r): the new directory is watched', async () => {
    const at = path.join(dir, 'manifests');
    await mkdir(at);
    await writeFile(path.join(at, 'gold.yaml'), 'x');
    // Its path looked at hourly: only the kernel's word that the watched directory went can tell
    // (where no birth time is kept, the new directory may have the old one's inode, as on ext4).
    const { calls, roots } = recordAt(at, 3_600_000);
    await watcher?.ready;
    // In one turn of the event loop: the watcher sees the events once the new directory is there.
    rmSync(at, { recursive: true });
    mkdirSync(at);
    writeFileSync(path.join(at, 'gold.yaml'), 'x');
    await waitFor(() => roots.includes('back'));
    await writeFile(path.join(at, 'silver.yaml'), 'x');
    await waitFor(() => reported(calls, 'silver.yaml'));
  });

  it('renamed away and another moved into its place: the new directory is watched', async () => {
    const at = path.join(dir, 'manifests');
    for (const folder of [at, path.join(dir, 'build')]) await mkdir(folder);
    const { calls, roots } = recordAt(at);
    await watcher?.ready;
    await rename(at, path.join(dir, 'old'));
    await rename(path.join(dir, 'build'), at);
    await waitFor(() => roots.includes('back'));
    await writeFile(path.join(at, 'silver.yaml'), 'x');
    await waitFor(() => reported(calls, 'silver.yaml'));
  });

  it('a folder in it removed and made again at once: the new folder is watched', async () => {
    const team = path.join(dir, 'team');
    await mkdir(team);
    await writeFile(path.join(team, 'gold.yaml'), 'x');
    const { calls, roots } = recordAt(dir);
    await watcher?.ready;
    rmSync(team, { recursive: true });
    mkdirSync(team);
    writeFileSync(path.join(team, 'gold.yaml'), 'y');
    await waitFor(() => roots.includes('back'));
    await writeFile(path.join(team, 'silver.yaml'), 'x');
    await waitFor(() => reported(calls, path.join('team', 'silver.yaml')));
  });

  it('a folder in it emptied, removed, then made again: the new folder is watched', async () => {
    const team = path.join(dir, 'team');
    await mkdir(team);
    await writeFile(path.join(team, 'gold.yaml'), 'x');
    const { calls, roots } = recordAt(dir);
    await watcher?.ready;
    await unlink(path.join(team, 'gold.yaml'));
    await waitFor(() => reported(calls, path.join('team', 'gold.yaml')));
    await rmdir(team);
    // Nothing is reported of the empty folder's removal; a pause lets the watcher see it gone
    // first (without it the new folder is there already when it looks: the case above).
    await sleep(500);
    await mkdir(team);
    await waitFor(() => roots.includes('back'));
    await writeFile(path.join(team, 'silver.yaml'), 'x');
    await waitFor(() => reported(calls, path.join('team', 'silver.yaml')));
  });

  it('a symlinked directory pointed at another directory: the new target is watched', async () => {
    const at = path.join(dir, 'manifests');
    for (const target of ['v1', 'v2']) await mkdir(path.join(dir, target));
    symlinkSync('v1', at);
    const { calls, roots } = recordAt(at);
    await watcher?.ready;
    // As a deployment swaps a release in: a new link renamed over the old one.
    symlinkSync('v2', `${at}.new`);
    renameSync(`${at}.new`, at);
    await waitFor(() => roots.includes('back'));
    await writeFile(path.join(dir, 'v2', 'silver.yaml'), 'x');
    await waitFor(() => reported(calls, 'silver.yaml'));
  });
});

describe('DirectorySource', () => {
  it('hashes the tree: same content same revision, any change a new one', async () => {
    await writeFile(path.join(dir, 'a.yaml'), 'a: 1\n');
    const src = new DirectorySource(dir);
    const one = await src.sync();
    expect(one).toMatchObject({ dir, changed: true });
    expect(one.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await src.sync()).toEqual({ ...one, changed: false });

    await mkdir(path.join(dir, '.git'));
    await writeFile(path.join(dir, '.git', 'HEAD'), 'ignored');
    expect((await src.sync()).changed).toBe(false);

    await writeFile(path.join(dir, 'a.yaml'), 'a: 2\n');
    const two = await src.sync();
    expect(two.changed).toBe(true);
    expect(two.revision).not.toBe(one.revision);

    await writeFile(path.join(dir, 'a.yaml'), 'a: 1\n');
    expect((await src.sync()).revision).toBe(one.revision);
    await src.close();
  });

  it('reports a missing directory as a typed error', async () => {
    await expect(new DirectorySource(path.join(dir, 'missing')).sync()).rejects.toMatchObject({
      code: 'SOURCE_PATH_NOT_FOUND',
    });
  });
});
