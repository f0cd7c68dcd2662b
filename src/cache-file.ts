import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes a cache file (the manifest cache, the state snapshot, a seeded copy) through a
 * temporary file and a rename, so that a reader never sees half of one. Failing (a
 * read-only directory) is not an error: a cache only saves time. True if written.
 */
export function writeCacheFile(file: string, text: string): boolean {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, file);
    return true;
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was written.
    }
    return false;
  }
}
