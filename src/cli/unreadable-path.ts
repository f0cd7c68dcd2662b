import { opendirSync, statSync, type Stats } from 'node:fs';
import { reasonOf } from '../state/errors.js';

/**
 * A path given on the command line that cannot be looked at or listed (a folder chmod 000 to
 * the user, a parent they cannot pass, a file where a folder is expected) is the user's to fix:
 * one line naming it, never the stack trace its system error gave as an internal error.
 */
export type PathLook =
  { kind: 'found'; info: Stats } | { kind: 'absent' } | { kind: 'unreadable'; reason: string };

/** `permission denied (EACCES)`: reasonOf's words, with the code a user searches for. */
function reasonWithCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? reasonOf(error) : `${reasonOf(error)} (${code})`;
}

/** What stat says of `given`: ENOENT is absent, any other failure unreadable, with its reason. */
export function lookAt(given: string): PathLook {
  try {
    const info = statSync(given, { throwIfNoEntry: false });
    return info === undefined ? { kind: 'absent' } : { kind: 'found', info };
  } catch (error) {
    return { kind: 'unreadable', reason: reasonWithCode(error) };
  }
}

/** Why the directory `dir` cannot be listed, or undefined when it can (opened, not read). */
export function unlistableReason(dir: string): string | undefined {
  try {
    opendirSync(dir).closeSync();
    return undefined;
  } catch (error) {
    return reasonWithCode(error);
  }
}
