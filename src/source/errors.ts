import { AudiencectlError } from '../errors.js';

export type SourceConfigErrorCode =
  | 'SOURCE_URL_REFUSED'
  | 'SOURCE_BRANCH_INVALID'
  | 'SOURCE_PATH_INVALID'
  | 'SOURCE_OPTIONS_INVALID'
  | 'SOURCE_WORK_DIR_IN_USE';

export type SourceSyncErrorCode =
  | 'SOURCE_AUTH_FAILED'
  | 'SOURCE_SSH_HOST_KEY'
  | 'SOURCE_SSH_KEY_PERMISSIONS'
  | 'SOURCE_BRANCH_NOT_FOUND'
  | 'SOURCE_PATH_NOT_FOUND'
  /** A `--dir` that stat cannot reach for another reason than its absence (ENOTDIR, EACCES, ESTALE, ...). */
  | 'SOURCE_PATH_UNREADABLE'
  /** A `--dir` with something else than a directory in its place (a file). */
  | 'SOURCE_PATH_NOT_DIRECTORY'
  | 'SOURCE_PROTOCOL_REFUSED'
  | 'SOURCE_FETCH_FAILED'
  | 'SOURCE_CHECKOUT_FAILED'
  | 'SOURCE_ABORTED';

/**
 * The source configuration was refused before any git process ran: a dangerous
 * URL, an invalid branch or sub-path, unusable options. Fix the settings.
 */
export class SourceConfigError extends AudiencectlError {
  override readonly name = 'SourceConfigError';
  declare readonly code: SourceConfigErrorCode;

  constructor(code: SourceConfigErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * A sync failed at run time (network, authentication, missing branch). The daemon
 * keeps serving the last good revision and retries on the next trigger. No `cause`
 * is attached: git's raw output is redacted into the message instead, so a secret
 * can never travel along in an error chain.
 */
export class SourceSyncError extends AudiencectlError {
  override readonly name = 'SourceSyncError';
  declare readonly code: SourceSyncErrorCode;

  constructor(code: SourceSyncErrorCode, message: string) {
    super(code, message);
  }
}
