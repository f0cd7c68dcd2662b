import { mkdir, mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
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
    const started = Date.now();
    while (Date.now() - started < 900) {
      await writeFile(path.join(dir, 'busy.yaml'), String(Date.now()));
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
