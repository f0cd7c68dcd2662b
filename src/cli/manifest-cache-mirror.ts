import { realpathSync } from 'node:fs';
import { writeCacheFile } from '../cache/cache-file.js';
import { readRegularTextSync } from '../files/read-regular.js';
import type { ManifestCacheMirror, StateStore } from '../state/store.js';

/** What to call once the load wrote its cache: copies a changed cache to the shared store. */
export type KeepManifestCache = () => Promise<void>;

function readLocal(file: string): string | undefined {
  try {
    return readRegularTextSync(file);
  } catch {
    return undefined;
  }
}

function mirrorOf(store: StateStore): ManifestCacheMirror | undefined {
  return 'readManifestCache' in store ? (store as StateStore & ManifestCacheMirror) : undefined;
}

/** Runs `fn` with the store's mirror, if it has one; any failure is no copy. */
async function withMirror<T>(
  open: () => Promise<StateStore>,
  fn: (mirror: ManifestCacheMirror) => Promise<T>,
): Promise<T | undefined> {
  let store: StateStore | undefined;
  try {
    store = await open();
    const mirror = mirrorOf(store);
    return mirror ? await fn(mirror) : undefined;
  } catch {
    return undefined;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/**
 * For a shared store (PostgreSQL, opened by `open` only when needed): before the load, a
 * missing local cache `file` of the manifests directory `dir` is seeded from the store's
 * copy; the returned function copies the cache back when the load changed it. The copy
 * is only a cache: a failure to read or write it is not an error, and the local file's
 * own checks (its context and digest, then each file's content hash) decide what of it
 * is used.
 */
export async function seedManifestCache(
  open: () => Promise<StateStore>,
  file: string,
  dir: string,
): Promise<KeepManifestCache> {
  let source: string;
  try {
    source = realpathSync(dir);
  } catch {
    return () => Promise.resolve();
  }
  let before = readLocal(file);
  if (before === undefined) {
    before = await withMirror(open, (mirror) => mirror.readManifestCache(source));
    if (before !== undefined) writeCacheFile(file, before);
  }
  return async () => {
    const after = readLocal(file);
    if (after !== undefined && after !== before)
      await withMirror(open, (mirror) => mirror.writeManifestCache(source, after));
  };
}
