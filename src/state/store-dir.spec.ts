import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_CACHE_NAME } from '../cli/manifest-cache-file.js';
import { audiencesDir, compatPath, lockPath, metaPath } from './paths.js';
import { STATE_SNAPSHOT_NAME } from './snapshot.js';
import { STORE_ENTRIES } from './store-dir.js';

describe('STORE_ENTRIES', () => {
  it('names everything a directory store writes, so none of it marks a folder as foreign', () => {
    const written = [metaPath('s'), audiencesDir('s'), lockPath('s'), compatPath('s')].map((p) =>
      path.basename(p),
    );
    for (const name of [...written, MANIFEST_CACHE_NAME, STATE_SNAPSHOT_NAME])
      expect(STORE_ENTRIES).toContain(name);
  });
});
