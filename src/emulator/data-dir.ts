import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { StateError, StateLockedError, reasonOf } from '../state/errors.js';
import { describeHolder } from '../state/lock-holder.js';
import { acquireLock, type HeldLock } from '../state/lock.js';

/** In the data directory while an emulator uses it: a second one on the directory is refused. */
export const LOCK_FILE = 'emulator.lock';

/**
 * A data directory (`dataDir`, `--data-dir`) the emulator cannot use. `message` is said as a
 * library caller sees it; `flagMessage` the same problem against the flag, which the CLI
 * prints: `--data-dir: /proc/x/data cannot be created: mkdir /proc/x failed (ENOENT)`.
 */
export class DataDirError extends UsageError {
  constructor(
    message: string,
    readonly flagMessage: string,
    options?: { cause?: unknown },
  ) {
    super('EMULATOR_DATA_DIR', message, options);
  }
}

/** `dir` (as given) `problem`: "Cannot write the data directory …" and "--data-dir: …". */
export function dataDirProblem(dir: string, problem: string, cause?: unknown): DataDirError {
  return new DataDirError(
    `Cannot write the data directory ${dir}: it ${problem}`,
    `--data-dir: ${dir} ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Why a call on the file system failed, with its code: procfs and sysfs answer ENOENT to a
 * file or directory made in a directory that exists, which reasonOf would call "it does not
 * exist"; there it is the file system refusing.
 */
export function failure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'ENOENT: the file system refused it';
  return code === undefined ? reasonOf(error) : `${code}: ${reasonOf(error)}`;
}

type Found =
  { kind: 'directory' } | { kind: 'other' } | { kind: 'missing' } | { kind: 'failed'; error: unknown };

async function look(dir: string): Promise<Found> {
  try {
    return (await stat(dir)).isDirectory() ? { kind: 'directory' } : { kind: 'other' };
  } catch (error) {
    // ENOTDIR: a part of the path is a file; said when the walk up reaches it.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'failed', error };
  }
}

/**
 * Makes `dir` and its missing parents, one mkdir each, or throws a DataDirError saying why it
 * cannot be. Not `mkdir(dir, { recursive: true })`: where mkdir answers ENOENT under a parent
 * that exists (any new path under /proc), Node's recursive mkdir retries for ever, a core at
 * 100 %, and the emulator never got to its signal handlers.
 */
export async function makeDataDir(dir: string): Promise<void> {
  const found = await look(dir);
  if (found.kind === 'directory') return;
  if (found.kind === 'other') throw dataDirProblem(dir, 'is not a directory');
  if (found.kind === 'failed')
    throw dataDirProblem(dir, `cannot be used (${failure(found.error)})`, found.error);
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    const above = await look(parent);
    if (above.kind === 'directory') break;
    if (above.kind === 'other') throw dataDirProblem(dir, `cannot be created: ${parent} is not a directory`);
    if (above.kind === 'failed')
      throw dataDirProblem(
        dir,
        `cannot be created: ${parent} cannot be used (${failure(above.error)})`,
        above.error,
      );
    current = parent;
  }
  for (const each of missing) {
    try {
      await mkdir(each);
    } catch (error) {
      // Made meanwhile by someone else: fine if it is a directory.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await look(each)).kind === 'directory')
        continue;
      throw dataDirProblem(dir, `cannot be created: mkdir ${each} failed (${failure(error)})`, error);
    }
  }
}

/**
 * Takes the data directory for this emulator alone: two on one directory each rewrote the
 * state file with their own audiences only, so what one had acknowledged vanished with the
 * other's next write. The state store's lock (state/lock.ts): a holder killed with -9 (a dead
 * pid of this host) is taken over at once; a live one is refused, naming it.
 */
export async function lockDataDir(dir: string): Promise<HeldLock> {
  const file = path.join(dir, LOCK_FILE);
  try {
    return await acquireLock(file, { command: 'audiencectl emulator' });
  } catch (error) {
    if (error instanceof StateLockedError)
      throw dataDirProblem(
        dir,
        `is in use by another emulator, ${describeHolder(error.holder)}: stop it, or give each emulator a --data-dir of its own (if that process is gone for good, delete ${file})`,
        error,
      );
    if (error instanceof StateError && error.code === 'STATE_UNREADABLE')
      throw dataDirProblem(dir, `cannot be locked: ${error.message}`, error);
    if (error instanceof StateError) {
      // The lock file cannot be made (procfs, a read-only mount): said by its system error.
      const cause = error.cause ?? error;
      throw dataDirProblem(
        dir,
        `cannot hold the emulator's files: creating ${LOCK_FILE} failed (${failure(cause)})`,
        error,
      );
    }
    throw error;
  }
}
