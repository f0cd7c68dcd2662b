import { renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectorySource } from '../../src/source/dir-source.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-dir-hints-'));
  await writeFile(path.join(dir, 'gold.yaml'), 'gold 1\n');
  await writeFile(path.join(dir, 'silver.yaml'), 'silver 1\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A signal whose `aborted` runs `act` the `at`-th time the scan looks at it: the scan checks
 * it before each file it reads, so `act` lands in the middle of the sync, after the files to
 * look at were chosen (listed, or taken from the hints), before the `at`-th is read. `act` is
 * synchronous, as an event the watcher reports between two of the scan's reads.
 */
function midScan(act: () => void, at = 1): AbortSignal {
  const signal = new AbortController().signal;
  let looks = 0;
  Object.defineProperty(signal, 'aborted', {
    get: () => {
      looks += 1;
      if (looks === at) act();
      return false;
    },
  });
  return signal;
}

/** silver.yaml renamed to silver-v2.yaml, and the watcher's burst reporting both paths. */
function renameSilver(source: DirectorySource): () => void {
  return () => {
    renameSync(path.join(dir, 'silver.yaml'), path.join(dir, 'silver-v2.yaml'));
    source.noteChanged(['silver-v2.yaml', 'silver.yaml']);
  };
}

/** The tree on disk as a fresh source reads it whole. */
async function revisionOnDisk(): Promise<string> {
  return (await new DirectorySource(dir).sync()).revision;
}

describe('DirectorySource: paths the watcher reports while a sync is scanning', () => {
  it('a rename reported during a full scan, which saw the old name go: the next sync looks at both paths', async () => {
    const source = new DirectorySource(dir);
    const first = await source.sync();
    // A sync without hints (a poll) scans everything; silver.yaml is renamed after the listing.
    const during = await source.sync(midScan(renameSilver(source)));
    expect(await source.changedPaths(first.revision, during.revision)).toEqual(['silver.yaml']);

    // Another edit, its own burst: the next sync looks at the hinted paths.
    await writeFile(path.join(dir, 'gold.yaml'), 'gold 2\n');
    source.noteChanged(['gold.yaml']);
    const next = await source.sync();
    expect(await source.changedPaths(during.revision, next.revision)).toEqual([
      'gold.yaml',
      'silver-v2.yaml',
    ]);
    expect(next.revision).toBe(await revisionOnDisk());
  });

  it('a rename reported during a quick scan of other hints: the next sync looks at it', async () => {
    const source = new DirectorySource(dir);
    const first = await source.sync();
    await writeFile(path.join(dir, 'gold.yaml'), 'gold 2\n');
    source.noteChanged(['gold.yaml']);
    const during = await source.sync(midScan(renameSilver(source)));
    expect(await source.changedPaths(first.revision, during.revision)).toEqual(['gold.yaml']);

    await writeFile(path.join(dir, 'gold.yaml'), 'gold 3\n');
    source.noteChanged(['gold.yaml']);
    const next = await source.sync();
    expect(await source.changedPaths(during.revision, next.revision)).toEqual([
      'gold.yaml',
      'silver-v2.yaml',
      'silver.yaml',
    ]);
    expect(next.revision).toBe(await revisionOnDisk());
  });

  it('a path written and reported again after the scan that took it read it: the next sync reads it again', async () => {
    const source = new DirectorySource(dir);
    const first = await source.sync();
    await writeFile(path.join(dir, 'gold.yaml'), 'gold 2\n');
    await writeFile(path.join(dir, 'silver.yaml'), 'silver 2\n');
    source.noteChanged(['gold.yaml', 'silver.yaml']);
    // gold.yaml read, then written again and reported, before silver.yaml is read.
    const during = await source.sync(
      midScan(() => {
        writeFileSync(path.join(dir, 'gold.yaml'), 'gold 3\n');
        source.noteChanged(['gold.yaml']);
      }, 2),
    );
    expect(await source.changedPaths(first.revision, during.revision)).toEqual(['gold.yaml', 'silver.yaml']);
    await writeFile(path.join(dir, 'silver.yaml'), 'silver 3\n');
    source.noteChanged(['silver.yaml']);
    const next = await source.sync();
    expect(await source.changedPaths(during.revision, next.revision)).toEqual(['gold.yaml', 'silver.yaml']);
    expect(next.revision).toBe(await revisionOnDisk());
  });

  it('a watcher error during a scan: the next sync scans everything, hints or not', async () => {
    const source = new DirectorySource(dir);
    await source.sync();
    // The error stands for events the watcher lost: bronze.yaml's is never reported.
    const during = await source.sync(
      midScan(() => {
        writeFileSync(path.join(dir, 'bronze.yaml'), 'bronze 1\n');
        source.invalidate();
      }),
    );
    await writeFile(path.join(dir, 'gold.yaml'), 'gold 2\n');
    source.noteChanged(['gold.yaml']);
    const next = await source.sync();
    expect(await source.changedPaths(during.revision, next.revision)).toBeUndefined();
    expect(next.revision).toBe(await revisionOnDisk());
  });

  it('a sync that fails keeps the hints it took for the next one', async () => {
    const source = new DirectorySource(dir);
    const first = await source.sync();
    await writeFile(path.join(dir, 'gold.yaml'), 'gold 2\n');
    source.noteChanged(['gold.yaml']);
    const stopped = new AbortController();
    stopped.abort();
    await expect(source.sync(stopped.signal)).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
    const next = await source.sync();
    expect(await source.changedPaths(first.revision, next.revision)).toEqual(['gold.yaml']);
  });
});
