import path from 'node:path';
import { UsageError } from '../errors.js';
import { failure, makeDirs, MakeDirsError } from '../files/make-dirs.js';
import { StateError, StateLockedError } from '../state/errors.js';
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
 * Makes `dir` and its missing parents (makeDirs: never Node's recursive mkdir, which spins for
 * ever under /proc), or throws a DataDirError saying why it cannot be.
 */
export async function makeDataDir(dir: string): Promise<void> {
  try {
    await makeDirs(dir);
  } catch (error) {
    if (error instanceof MakeDirsError) throw dataDirProblem(dir, error.problem, error.cause);
    throw error;
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
