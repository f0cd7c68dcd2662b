import { stat } from 'node:fs/promises';
import { SourceSyncError } from './errors.js';

/** The sync's error for a directory source that is not there (removed, its volume unmounted). */
export function directoryGone(dir: string): SourceSyncError {
  return new SourceSyncError('SOURCE_PATH_NOT_FOUND', `directory ${dir} does not exist`);
}

/**
 * Throws directoryGone when `dir` is no longer a directory. A pass that reads a directory, or
 * trusts what it read of one, asks this when the read fails and before it carries out a removal:
 * read as it stands, a directory being removed (`rm -rf`, an unmount) lost its files before it
 * went, and its manifests looked removed; a missing source is not an empty one.
 */
export async function assertDirectoryThere(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw directoryGone(dir);
}
