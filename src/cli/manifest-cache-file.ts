import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { StateLocation } from '../state/location.js';
import { makeDirs } from '../files/make-dirs.js';
import { MANIFEST_CACHE_NAME } from '../state/paths.js';
import { STATE_SNAPSHOT_NAME } from '../state/snapshot.js';
import { userCacheDir } from './user-cache-dir.js';

/** The variables that turn the caches off: `off`; `on`, empty or unset leave them on. */
const SWITCHES = ['AUDIENCECTL_MANIFEST_CACHE', 'AUDIENCECTL_STATE_SNAPSHOT'] as const;

function switchValue(name: (typeof SWITCHES)[number]): string | undefined {
  return process.env[name]?.trim().toLowerCase();
}

/**
 * A switch set to anything else (`bogus`, `false`, `0`) is refused before `plan` runs:
 * read as on, a deployment that meant to turn a cache off would never learn it had not.
 */
export function cacheSwitchProblems(): string[] {
  return SWITCHES.flatMap((name) => {
    const value = process.env[name];
    if (value === undefined || ['', 'on', 'off'].includes(switchValue(name) ?? '')) return [];
    return [`${name}: ${JSON.stringify(value)} is not on or off`];
  });
}

/** `AUDIENCECTL_MANIFEST_CACHE=off`: neither the manifest cache nor the state snapshot. */
function cachesOff(): boolean {
  return switchValue('AUDIENCECTL_MANIFEST_CACHE') === 'off';
}

/**
 * Where the manifest cache of a state store lives: beside a directory store's records
 * (only when the store exists: a plan never creates one); for a PostgreSQL store, in
 * the user's cache directory under a hash of the URL without its password (its stat
 * facts only hold on one machine; the store's manifest_cache table keeps a copy that
 * seeds a machine without one, see manifest-cache-mirror.ts).
 * `AUDIENCECTL_MANIFEST_CACHE=off` turns it off.
 */
export async function manifestCacheFile(
  location: StateLocation,
  storeExists: boolean,
): Promise<string | undefined> {
  if (cachesOff()) return undefined;
  if (location.kind === 'dir') return storeExists ? path.join(location.dir, MANIFEST_CACHE_NAME) : undefined;
  const id = createHash('sha256')
    .update(`${location.display}\n${location.schema}`)
    .digest('hex')
    .slice(0, 20);
  return userCacheFile(id);
}

/**
 * `manifest-cache-<id>.jsonl` in the user's cache directory (made private), if it can be made:
 * one mkdir at a time (makeDirs), as Node's recursive mkdir spins for ever under /proc (HOME=/proc/x).
 */
async function userCacheFile(id: string): Promise<string | undefined> {
  const dir = path.join(userCacheDir(), 'audiencectl');
  try {
    await makeDirs(dir, (each) => mkdir(each, { mode: 0o700 }));
  } catch {
    return undefined;
  }
  return path.join(dir, `manifest-cache-${id}.jsonl`);
}

/**
 * The manifest cache of a pull-request plan (`plan --base`), which reads no state: in the
 * user's cache directory, under a hash of the manifests directory's real path (the
 * cache's lines are only valid for that directory anyway). A CI job that keeps its
 * cache directory between runs, or a person planning a branch again, reads only the
 * files that changed; the base tree then takes every file whose git blob id is that
 * of the working tree's file from it (source-options.ts loadDesired).
 */
export async function baseManifestCacheFile(dir: string): Promise<string | undefined> {
  if (cachesOff()) return undefined;
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return undefined;
  }
  return userCacheFile(`base-${createHash('sha256').update(real).digest('hex').slice(0, 20)}`);
}

/**
 * The state snapshot of a directory store (src/state/snapshot.ts), beside its records;
 * none for a PostgreSQL store (one query reads it) or a store that does not exist.
 * Off with the manifest cache (`AUDIENCECTL_MANIFEST_CACHE=off`), or alone with
 * `AUDIENCECTL_STATE_SNAPSHOT=off`.
 */
export function stateSnapshotFile(location: StateLocation, storeExists: boolean): string | undefined {
  if (cachesOff() || switchValue('AUDIENCECTL_STATE_SNAPSHOT') === 'off') return undefined;
  return location.kind === 'dir' && storeExists ? path.join(location.dir, STATE_SNAPSHOT_NAME) : undefined;
}
