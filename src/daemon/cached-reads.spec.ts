import { cp, rm, writeFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { FileStateStore } from '../state/file-store.js';
import { metaPath, recordPath } from '../state/paths.js';
import { cachedReads } from './cached-reads.js';

const tempDir = useTempDirs();

/** A store that counts its full reads. */
function counted(store: FileStateStore): { store: FileStateStore; reads: () => number } {
  let reads = 0;
  const readAll = store.readAll.bind(store);
  store.readAll = (options) => {
    reads += 1;
    return readAll(options);
  };
  return { store, reads: () => reads };
}

/**
 * Writes meta.json with the serial one up, as the directory store does first when it
 * changes a record (the record is written after it): a writer paused in between.
 */
async function bumpSerialOnly(dir: string, store: FileStateStore): Promise<number> {
  const meta = await store.meta();
  if (!meta) throw new Error('no meta.json to bump');
  const serial = meta.serial + 1;
  await writeFile(metaPath(dir), `${JSON.stringify({ ...meta, serial }, null, 2)}\n`);
  return serial;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const audienceIds = (state: { audiences: Array<{ audienceId?: string | undefined }> }) =>
  state.audiences.map((r) => r.audienceId);

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

  it('keeps no copy read while another process had bumped the serial but not yet written the record', async () => {
    const dir = await tempDir();
    const seed = new FileStateStore(dir);
    await seed.lock();
    await seed.put(aRecord('gold', { audienceId: 'aud-old' }));
    await seed.unlock();
    const { store, reads } = counted(new FileStateStore(dir));
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });

    // An `audiencectl apply` in a terminal, holding the lock, between its two writes.
    const other = new FileStateStore(dir);
    await other.lock();
    const serial = await bumpSerialOnly(dir, other);
    expect(audienceIds(await view.readAll())).toEqual(['aud-old']);
    await other.put(aRecord('gold', { audienceId: 'aud-new' }));
    await other.unlock();
    // Its write is done, under the serial the view already saw: nothing moves it again.
    expect((await store.meta())?.serial).toBe(serial);

    expect(audienceIds(await view.readAll())).toEqual(['aud-new']);
    expect(reads()).toBe(2);
    // Read with nobody writing, that copy is kept.
    expect(audienceIds(await view.readAll())).toEqual(['aud-new']);
    expect(reads()).toBe(2);
  });

  it("keeps no copy read while one of the view's own writes was between its serial and its record", async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    await view.lock();
    await view.put(aRecord('gold', { audienceId: 'aud-old' }));

    // Steps of one pass run side by side: an adopt step reads everything while another
    // audience's step writes, and its read ends after that write has.
    const bumped = deferred();
    const writeGate = deferred();
    const recordsRead = deferred();
    const readGate = deferred();
    const put = store.put.bind(store);
    store.put = async (record) => {
      await bumpSerialOnly(dir, store);
      bumped.resolve();
      await writeGate.promise;
      return put(record);
    };
    const readAll = store.readAll.bind(store);
    store.readAll = async () => {
      const state = await readAll();
      recordsRead.resolve();
      await readGate.promise;
      return state;
    };
    const writing = view.put(aRecord('gold', { audienceId: 'aud-new' }));
    await bumped.promise;
    const reading = view.readAll();
    await recordsRead.promise;
    writeGate.resolve();
    await writing;
    readGate.resolve();
    expect(audienceIds(await reading)).toEqual(['aud-old']);
    await view.unlock();

    expect(audienceIds(await view.readAll())).toEqual(['aud-new']);
    expect(reads()).toBe(2);
  });

  it('reads the records once per change over a sequence of passes; again on each miss while another holds the lock', async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    // An apply pass reads under its lock (resuming intents, then planning), writes,
    // unlocks, and reads again for the status; a dry-run pass reads once, unlocked.
    const applyPass = async (write?: string) => {
      await view.lock();
      await view.readAll();
      await view.readAll();
      if (write) await view.put(aRecord(write));
      await view.unlock();
      await view.readAll();
    };
    // The store is never written before it: no meta, no nonce, so its two reads under the lock
    // are not kept (a store whose meta.json was removed may still hold records).
    await applyPass('gold');
    expect(reads()).toBe(3);
    await applyPass();
    await view.readAll();
    expect(reads()).toBe(3);

    const other = new FileStateStore(dir);
    await other.lock();
    await view.readAll();
    expect(reads()).toBe(3);
    await other.put(aRecord('silver'));
    await view.readAll();
    await view.readAll();
    expect(reads()).toBe(5);
    await other.unlock();
    await applyPass();
    expect(reads()).toBe(6);
  });

  it('times its copy on a clock NTP does not step: with the wall clock stepped back, a copy older than maxAgeMs is read again', async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    await store.lock();
    await store.put(aRecord('gold'));
    await store.unlock();
    // Date and performance are faked; the file system and its promises run as they do.
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    try {
      const view = cachedReads(store, { maxAgeMs: 1_000 });
      await view.readAll();
      vi.setSystemTime(Date.now() - 3_600_000);
      vi.advanceTimersByTime(1_000);
      await view.readAll();
      expect(reads()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves no copy once the store, restored from a backup, was written back to the same serial', async () => {
    const dir = await tempDir();
    const backup = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    const write = async (change: (other: FileStateStore) => Promise<unknown>) => {
      const other = new FileStateStore(dir);
      await other.lock();
      await change(other);
      await other.unlock();
    };
    await write((other) => other.put(aRecord('gold')));
    await cp(dir, backup, { recursive: true });
    await write((other) => other.put(aRecord('silver')));
    await write((other) => other.put(aRecord('bronze')));
    expect((await view.readAll()).audiences.map((r) => r.key)).toEqual(['bronze', 'gold', 'silver']);
    expect(reads()).toBe(1);

    // Restored whole (serial 1), then two writes: serial 3 again, other records.
    await rm(dir, { recursive: true });
    await cp(backup, dir, { recursive: true });
    await write((other) => other.delete('prod', 'gold'));
    await write((other) => other.put(aRecord('copper')));
    expect((await store.meta())?.serial).toBe(3);
    expect((await view.readAll()).audiences.map((r) => r.key)).toEqual(['copper']);
    expect(reads()).toBe(2);
  });

  it('keeps no copy of a store whose meta has no nonce (last written by an earlier release), until its next write', async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    await store.lock();
    await store.put(aRecord('gold'));
    await store.unlock();
    const meta = await store.meta();
    // As an earlier release writes it: its schema leaves the nonce out.
    await writeFile(metaPath(dir), `${JSON.stringify({ ...meta, nonce: undefined }, null, 2)}\n`);
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    await view.readAll();
    await view.readAll();
    expect(reads()).toBe(2);
    await store.lock();
    await store.put(aRecord('silver'));
    await store.unlock();
    await view.readAll();
    await view.readAll();
    expect(reads()).toBe(3);
  });

  it('reads everything again after forget, whatever the serial and the age', async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    await store.lock();
    await store.put(aRecord('gold'));
    await store.unlock();
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    await view.readAll();
    await view.readAll();
    expect(reads()).toBe(1);
    view.forget();
    await view.readAll();
    await view.readAll();
    expect(reads()).toBe(2);
  });
  it('confirm looks at the records asked for against their versions as read: one changed outside the store is read again', async () => {
    const dir = await tempDir();
    const { store, reads } = counted(new FileStateStore(dir));
    await store.lock();
    await store.put(aRecord('gold'));
    await store.put(aRecord('silver'));
    await store.unlock();
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    const gold = { ids: [['prod', 'gold'] as const], sandboxes: [] };
    const silver = { ids: [['prod', 'silver'] as const], sandboxes: [] };
    // Read, not served: nothing to confirm.
    await view.readAll();
    expect(await view.confirm(gold)).toBe(false);
    // Served, and nothing changed: confirmed without a read.
    await view.readAll();
    expect(await view.confirm(gold)).toBe(false);
    expect(reads()).toBe(1);

    // gold edited validly outside the store (no serial moves): silver's confirm does not see it;
    // gold's does, and reads every record again.
    const file = recordPath(dir, 'prod', 'gold');
    const edited = { ...(await store.get('prod', 'gold'))!, audienceId: 'edited-outside' };
    await writeFile(file, `${JSON.stringify(edited, null, 2)}\n`);
    expect(audienceIds(await view.readAll())).not.toContain('edited-outside');
    expect(await view.confirm(silver)).toBe(false);
    expect(reads()).toBe(1);
    expect(await view.confirm(gold)).toBe(true);
    expect(reads()).toBe(2);
    // Kept: the next read is served the record as edited, and confirmed.
    expect(audienceIds(await view.readAll())).toContain('edited-outside');
    expect(await view.confirm(gold)).toBe(false);
    expect(reads()).toBe(2);

    // A record added to a sandbox asked for whole (by file, outside the store) moves it; one asked
    // for by id that is in neither the copy nor the store is the same absence.
    await view.readAll();
    expect(await view.confirm({ ids: [['prod', 'bronze']], sandboxes: [] })).toBe(false);
    const bronze = { ...(await store.get('prod', 'silver'))!, key: 'bronze' };
    await writeFile(recordPath(dir, 'prod', 'bronze'), `${JSON.stringify(bronze, null, 2)}\n`);
    expect(await view.confirm({ ids: [], sandboxes: ['other'] })).toBe(false);
    expect(await view.confirm({ ids: [], sandboxes: ['prod'] })).toBe(true);
    expect(reads()).toBe(3);

    // Spoiled outside the store: the copy is served, confirm fails as the read does.
    await view.readAll();
    await writeFile(file, '{ not json');
    expect(audienceIds(await view.readAll())).toContain('edited-outside');
    await expect(view.confirm(gold)).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    await expect(view.readAll()).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
  });
});
