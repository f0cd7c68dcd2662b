import { UsageError } from '../errors.js';
import { readRegularTextSync } from './read-regular.js';

/** A file of a token or secret larger than this holds no token: 64 KiB. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * The text of the file a token or secret is given in (`--http-token-file`,
 * `--webhook-secret-file`), as written: a FIFO, a directory or a device is refused, naming
 * `label`, without reading it. A path that names nothing is not repeated (a token pasted in
 * its place would be printed); the error is a UsageError of `code`.
 */
export function readSecretFileText(file: string, label: string, code: string): string {
  try {
    return readRegularTextSync(file, { label, maxBytes: MAX_SECRET_FILE_BYTES });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    const where = reason === 'ENOENT' || reason === 'ENOTDIR' ? 'the path given' : file;
    throw new UsageError(code, `${label}: cannot read ${where} (${reason})`);
  }
}
