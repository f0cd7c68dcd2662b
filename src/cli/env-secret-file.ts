import { readRegularTextSync } from '../files/read-regular.js';

/** A client secret file larger than this holds no client secret: 64 KiB. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * The client secret the file AEP_CLIENT_SECRET_FILE names (the chart's way to give it), for
 * scrubbing at start as AEP_CLIENT_SECRET is (runCli): plan without --refresh and the state
 * commands print records an older release may have written quoting it, and never load the
 * credentials that would read the file. Tolerant, as registerConfigFileSecrets: a file that
 * cannot be read (missing, a FIFO, too large) is the command's to report if it needs it;
 * undefined then, or when the variable is unset.
 */
export function clientSecretOfFile(file: string | undefined): string | undefined {
  const name = file?.trim();
  if (name === undefined || name === '') return undefined;
  try {
    const secret = readRegularTextSync(name, { maxBytes: MAX_SECRET_FILE_BYTES }).trim();
    return secret === '' ? undefined : secret;
  } catch {
    return undefined;
  }
}
