import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { sweepTemps } from '../files/stale-temps.js';
import { TEMP_SUFFIX } from './durable-fs.js';
import { audiencesDir, MANIFEST_CACHE_NAME, metaPath, STATE_SNAPSHOT_NAME } from './paths.js';

/** Lock (and compat.json) temp files belong to writers that may still be using them; only old ones are litter. */
const LOCK_TEMP_MIN_AGE_MS = 60_000;

/** meta.json's: of the root's files, the only one written under the lock (records are in audiences/). */
const META_TEMP_PREFIX = `.${path.basename(metaPath('.'))}.`;

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

function isTemp(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/**
 * Removes temporary files left by writers killed mid-write. Only the lock holder writes
 * records and meta.json, so once it holds the lock every temp file of theirs is litter. The
 * other files in the root are written without the lock: the lock's and compat.json's temp
 * files are litter once old; plan's caches' (manifest-cache.jsonl, state-snapshot.jsonl) only
 * by their own rule, which knows whether their writer still runs (files/stale-temps.ts): removed
 * at once, a concurrent plan's cache was not written; left to their next write, a killed plan's
 * (tens of MB) stayed while the manifests did not change, or for good with the caches off or in
 * a store only apply or the controller use.
 */
export async function sweepTempFiles(dir: string): Promise<number> {
  let removed = 0;
  const remove = async (file: string) => {
    await unlink(file)
      .then(() => removed++)
      .catch(() => undefined);
  };
  for (const name of (await names(dir)).filter(isTemp)) {
    const file = path.join(dir, name);
    if (name.startsWith('.lock.') || name.startsWith('.compat.json.')) {
      const info = await stat(file).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < LOCK_TEMP_MIN_AGE_MS) continue;
    } else if (!name.startsWith(META_TEMP_PREFIX)) continue;
    await remove(file);
  }
  for (const cache of [MANIFEST_CACHE_NAME, STATE_SNAPSHOT_NAME]) await sweepTemps(path.join(dir, cache));
  const root = audiencesDir(dir);
  for (const sandbox of await names(root)) {
    const sandboxDir = path.join(root, sandbox);
    for (const name of (await names(sandboxDir)).filter(isTemp)) await remove(path.join(sandboxDir, name));
  }
  return removed;
}
