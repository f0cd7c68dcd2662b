import { rmdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The folders of `dir`'s path that do not exist yet, `dir` first: those a directory store's
 * lock would make (ensureDirDurable), looked at before it takes it.
 */
export async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      await stat(current);
      return missing;
    } catch (error) {
      // Anything but "not there" (a file in the path, no permission): the lock refuses it anyway.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return missing;
    }
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current) return missing;
    current = parent;
  }
}

/**
 * Removes `dirs` in order (deepest first) while each is empty: a folder a failed command made
 * and left would read as a new, empty store. Stops at the first that holds anything (another
 * process wrote there) or cannot be removed, which is then left as it is.
 */
export async function removeEmptyDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}
