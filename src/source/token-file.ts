import { readRegularTextSync, RefusedFileError } from '../files/read-regular.js';
import { registerSecret } from '../log.js';
import { SourceSyncError } from './errors.js';

/** A token file larger than this is no token file: 64 KiB. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * The git token `file` holds, read now, registered for scrubbing. Read at each fetch, not once:
 * the kubelet updates a mounted Secret's file in place, and a token rotated there (a GitHub App
 * installation token lasts an hour) must reach the next fetch without a restart. A file that
 * cannot be read fails this sync, naming the file, never its content.
 */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readRegularTextSync(file, { maxBytes: MAX_TOKEN_FILE_BYTES });
  } catch (error) {
    const reason =
      error instanceof RefusedFileError
        ? error.message
        : `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
    throw new SourceSyncError('SOURCE_AUTH_FAILED', `the git token file: ${reason}`);
  }
  const token = text.trim();
  if (token === '')
    throw new SourceSyncError(
      'SOURCE_AUTH_FAILED',
      `the git token file ${file} is empty: put the token in it`,
    );
  registerSecret(token);
  return token;
}
