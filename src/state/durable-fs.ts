import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { makeDirs, MakeDirsError } from '../files/make-dirs.js';
import { StateWriteError, reasonOf } from './errors.js';
import { escapeText } from '../text/safe-text.js';

/**
 * The file system calls this module (and dir-swap.ts, and cli/out-file.ts) makes, looked up at
 * each call so that a spec can watch their order (durable-fs-order.spec.ts: fsync before
 * rename, the directory after) or stop a process at one (test/state/migrate-crash.spec.ts,
 * test/cli/plan-out-crash.spec.ts, through a preload); no other code changes them.
 */
export const fsCalls = { open, rename, rm, unlink, mkdir };

/** Suffix of the temporary files; readers skip them and the lock holder sweeps its own (sweep.ts). */
export const TEMP_SUFFIX = '.tmp';

/** `.name.<pid>.<random>.tmp` beside `file`: same directory, so the rename is atomic. */
export function tempPathFor(file: string): string {
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${tag}${TEMP_SUFFIX}`);
}

/**
 * Flushes a directory entry to disk: after a rename or unlink, the file's data is
 * durable but the name change is not until its directory is synced.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await fsCalls.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open or sync a directory; its renames are durable enough there.
    if (process.platform === 'win32') return;
    throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` so that a reader, or the file after a crash at any instant, sees
 * either the old content or the new one, never a mix: temp file in the same
 * directory, fsync, rename over the target, fsync of the directory.
 */
export async function writeFileDurable(file: string, data: string): Promise<void> {
  const temp = tempPathFor(file);
  try {
    const handle = await fsCalls.open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsCalls.rename(temp, file);
    await syncDir(path.dirname(file));
  } catch (error) {
    await fsCalls.rm(temp, { force: true }).catch(() => undefined);
    throw new StateWriteError('STATE_UNWRITABLE', `cannot write state file ${file}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/** Removes a file durably; returns false when it did not exist. */
export async function removeFileDurable(file: string): Promise<boolean> {
  try {
    await fsCalls.unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StateWriteError('STATE_UNWRITABLE', `cannot remove state file ${file}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  await syncDir(path.dirname(file));
  return true;
}

/**
 * Creates `dir` and its missing parents, syncing each new entry into its parent. One mkdir at
 * a time (makeDirs): Node's recursive mkdir spins for ever under /proc (`--state /proc/x`).
 */
export async function ensureDirDurable(dir: string): Promise<void> {
  let first: string | undefined;
  try {
    first = await makeDirs(dir, (one) => fsCalls.mkdir(one));
  } catch (error) {
    // "cannot create state directory /a/b: mkdir /a failed (…)", not "…: it cannot be created: mkdir …".
    const reason =
      error instanceof MakeDirsError
        ? error.problem.replace(/^(cannot be created: )?/, (made) => (made ? '' : 'it '))
        : reasonOf(error);
    throw new StateWriteError(
      'STATE_UNWRITABLE',
      `cannot create state directory ${escapeText(dir)}: ${reason}`,
      {
        cause: error,
      },
    );
  }
  if (first === undefined) return;
  // Every directory from the first one created down to `dir` is a new entry in its parent.
  let current = path.resolve(dir);
  const stop = path.dirname(path.resolve(first));
  while (current !== stop) {
    const parent = path.dirname(current);
    await syncDir(parent);
    if (parent === current) break;
    current = parent;
  }
}
