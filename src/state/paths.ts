import path from 'node:path';

/**
 * Layout of a state directory:
 *   meta.json                      lineage and serial
 *   audiences/<sandbox>/<key>.json one record per audience
 *   lock                           held while an apply runs
 *   compat.json                    readings of the API page learned per base URL (a cache)
 *   manifest-cache.jsonl           plan's parsed manifests (a cache, written without the lock)
 *   state-snapshot.jsonl           plan's reading of the records (a cache, written without the lock)
 */
export function metaPath(dir: string): string {
  return path.join(dir, 'meta.json');
}

export function audiencesDir(dir: string): string {
  return path.join(dir, 'audiences');
}

export function recordPath(dir: string, sandbox: string, key: string): string {
  return path.join(audiencesDir(dir), sandbox, `${key}.json`);
}

export function lockPath(dir: string): string {
  return path.join(dir, 'lock');
}

export function compatPath(dir: string): string {
  return path.join(dir, 'compat.json');
}

/** Name of plan's manifest cache beside a directory store's records (safe to delete). */
export const MANIFEST_CACHE_NAME = 'manifest-cache.jsonl';

/** Name of plan's state snapshot beside a directory store's records (state/snapshot.ts). */
export const STATE_SNAPSHOT_NAME = 'state-snapshot.jsonl';
