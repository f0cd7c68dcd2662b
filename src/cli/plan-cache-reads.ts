import { fileSize, scansInThread } from '../scan/prestart.js';

/** How a plan reads its caches, told by the manifest cache's size alone (one stat). */
export type PlanCacheReads = {
  /** A thread of its own reads the manifest cache and stats the files (scan/prestart.ts). */
  scan: boolean;
  /** The snapshot's quiet records are left as lines, for quiet pairs (src/plan/quiet.ts). */
  quiet: boolean;
};

/**
 * How a plan with the manifest cache `cacheFile` (undefined: none, the caches turned off)
 * reads its caches; `quietWanted`: it would take quiet pairs (no service read, no base, no scope).
 */
export function planCacheReads(
  cacheFile: string | undefined,
  quietWanted: boolean,
  sizeOf: (file: string) => number | undefined = fileSize,
): PlanCacheReads {
  const size = cacheFile === undefined ? undefined : sizeOf(cacheFile);
  return {
    scan: cacheFile !== undefined && scansInThread(cacheFile, () => size),
    // With a manifest cache or without: a cold plan's files parsed now are lines in the cache's
    // shape, a quiet manifest's paired with its quiet record as a cached one is (read-source.ts).
    quiet: quietWanted,
  };
}
