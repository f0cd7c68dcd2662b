import { AudiencectlError } from '../errors.js';
import type { LockHolder } from './lock-holder.js';

/** Any problem with the state store that a user can act on. */
export class StateError extends AudiencectlError {
  override readonly name: string = 'StateError';
}

/** A state file or directory cannot be read, or its content is not valid state. */
export class StateReadError extends StateError {
  override readonly name: string = 'StateReadError';
}

/** A state file or directory cannot be written. */
export class StateWriteError extends StateError {
  override readonly name: string = 'StateWriteError';
}

/** Another process holds the store lock (code STATE_LOCKED). */
export class StateLockedError extends StateError {
  override readonly name: string = 'StateLockedError';

  constructor(
    code: string,
    message: string,
    /** Who holds the lock, when it could be read: a standby controller compares its source. */
    readonly holder?: LockHolder,
  ) {
    super(code, message);
  }
}

/**
 * The store records another IMS org for a sandbox than the one this process's credentials
 * reach (code STATE_OTHER_ORG): its records name audiences of that org.
 */
export class StateOtherOrgError extends StateError {
  override readonly name: string = 'StateOtherOrgError';
}

/**
 * A failed look at a path that says it is not there (ENOENT, or a part of it is a file).
 * Any other failure (EACCES, ELOOP, EIO) says nothing of whether it is: never absence.
 */
export function isAbsence(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reason text of a failed system call, without its stack. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EEXIST') return 'a file is in the way';
  if (code === 'ELOOP') return 'it is a symlink loop';
  return error instanceof Error ? error.message : String(error);
}
