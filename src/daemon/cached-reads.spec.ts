import { describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { FileStateStore } from '../state/file-store.js';
import { cachedReads } from './cached-reads.js';

const tempDir = useTempDirs();

/** A store that counts its full reads. */
function counted(store: FileStateStore): { store: FileStateStore; reads: () => number } {
  let reads = 0;
  const readAll = store.readAll.bind(store);
  store.readAll = () => {
    reads += 1;
    return readAll();
  };
  return { store, reads: () => reads };
}

describe('cachedReads', () => {
  it('reads the records again only when the serial moved, after its own writes, or when too old', async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    let now = 0;
    const view = cachedReads(store, { maxAgeMs: 1_000, now: () => now });
    await view.lock();
    await view.put(aRecord('gold'));
    await view.unlock();

    expect((await view.readAll()).audiences.map((r) => r.key)).toEqual(['gold']);
    expect((await view.readAll()).audiences.map((r) => r.key)).toEqual(['gold']);
    expect(reads()).toBe(1);

    // Another process writes: its serial bump is seen, and its record read.
    const other = new FileStateStore(dir);
    await other.lock();
    await other.put(aRecord('silver'));
    await other.unlock();
    expect((await view.readAll()).audiences.map((r) => r.key).sort()).toEqual(['gold', 'silver']);
    expect(reads()).toBe(2);

    // A write through the view drops the copy.
    await view.lock();
    await view.delete('prod', 'gold');
    await view.unlock();
    expect((await view.readAll()).audiences.map((r) => r.key)).toEqual(['silver']);
    expect(reads()).toBe(3);

    // However unchanged the serial, a copy older than maxAgeMs is read again.
    now = 999;
    await view.readAll();
    expect(reads()).toBe(3);
    now = 1_000;
    await view.readAll();
    expect(reads()).toBe(4);
  });
});
