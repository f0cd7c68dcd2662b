import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { SourceSyncError } from './errors.js';

/** The sync's error for a directory source that is not there (removed, its volume unmounted). */
export function directoryGone(dir: string): SourceSyncError {
  return new SourceSyncError('SOURCE_PATH_NOT_FOUND', `directory ${dir} does not exist`);
}

/**
 * What stat's failures other than ENOENT mean for a person at the controller's `--dir`: the
 * directory is there (or may be), so "does not exist" sent them looking for a removal.
 */
const CAUSES: Readonly<Record<string, string>> = {
  ENOTDIR: 'a directory on its path is a file now',
  EACCES: "the controller's user may not reach it (a directory on its path does not let it through)",
  EPERM: "the controller's user may not reach it",
  ESTALE: 'its network mount is stale (the server no longer has what was mounted): remount it',
  EIO: 'an I/O error (a failing disk or a broken network mount)',
  ELOOP: 'too many symbolic links on its path (a loop)',
  ENAMETOOLONG: 'its path is too long',
  ENOTCONN: 'its mount is no longer connected (a FUSE or network mount whose server went away): remount it',
};

/** The sync's error for a directory source stat could not reach for another reason than its absence. */
function directoryUnreadable(dir: string, code: string | undefined): SourceSyncError {
  return new SourceSyncError('SOURCE_PATH_UNREADABLE', `directory ${dir} cannot be read: ${causeOf(code)}`);
}

/** stat's failure `code` in a person's words, the code after them. */
function causeOf(code: string | undefined): string {
  if (code === undefined) return 'stat failed';
  const cause = CAUSES[code];
  return cause === undefined ? code : `${cause} (${code})`;
}

/** What is in a directory's place, said in a few words. */
function kindOf(info: Stats): string {
  if (info.isFile()) return 'a file';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  return 'a device';
}

/**
 * Throws when `dir` is no longer a directory: directoryGone when it does not exist, else an
 * error that says what stat found (another kind of file in its place, a path it cannot reach).
 * A pass that reads a directory, or trusts what it read of one, asks this when the read fails and
 * before it carries out a removal: read as it stands, a directory being removed (`rm -rf`, an
 * unmount) lost its files before it went, and its manifests looked removed; a missing source is
 * not an empty one.
 */
export async function assertDirectoryThere(dir: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? directoryGone(dir) : directoryUnreadable(dir, code);
  }
  if (!info.isDirectory())
    throw new SourceSyncError(
      'SOURCE_PATH_NOT_DIRECTORY',
      `directory ${dir} is not a directory (${kindOf(info)} is in its place)`,
    );
}
