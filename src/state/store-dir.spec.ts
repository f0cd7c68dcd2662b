import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_CACHE_NAME } from './paths.js';
import { takeoverGuardOf } from './lock.js';
import { audiencesDir, compatPath, lockPath, metaPath } from './paths.js';
import { STATE_SNAPSHOT_NAME } from './snapshot.js';
import { refuseForeignDirectory, STORE_ENTRIES } from './store-dir.js';

describe('STORE_ENTRIES', () => {
  it('names everything a directory store writes, so none of it marks a folder as foreign', () => {
    const written = [metaPath('s'), audiencesDir('s'), lockPath('s'), compatPath('s')].map((p) =>
      path.basename(p),
    );
    const guard = path.basename(takeoverGuardOf(lockPath('s')));
    for (const name of [...written, guard, MANIFEST_CACHE_NAME, STATE_SNAPSHOT_NAME])
      expect(STORE_ENTRIES).toContain(name);
  });

  it("a new store whose first lockers race: the lock and its takeover guard are the store's own", async () => {
    // Several processes opening a fresh store at once: one may find another mid-takeover.
    const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-store-dir-'));
    try {
      await writeFile(path.join(dir, 'lock'), '{}\n');
      await writeFile(path.join(dir, 'lock.takeover'), '');
      await expect(refuseForeignDirectory(dir)).resolves.toBeUndefined();
      await writeFile(path.join(dir, 'notes.txt'), 'not a store\n');
      await expect(refuseForeignDirectory(dir)).rejects.toThrow(
        /holds "notes.txt", which a store never holds/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not look at dot files: a folder holding only a .gitkeep and a write in progress is a new store', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-store-dir-'));
    try {
      await writeFile(path.join(dir, '.gitkeep'), '');
      await writeFile(path.join(dir, '.meta.json.123.abcd.tmp'), '{');
      await expect(refuseForeignDirectory(dir)).resolves.toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
