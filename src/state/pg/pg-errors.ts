import { redactText } from '../../log.js';
import { AudiencectlError } from '../../errors.js';
import { StateError } from '../errors.js';

/** SQLSTATE classes a user fixes with their URL or credentials, not with a bug report. */
const CONNECTION_CODES: Record<string, string> = {
  '28P01': 'the password was refused',
  '28000': 'the server refused this user',
  '3D000': 'the database does not exist',
  '57P01': 'the server terminated the connection',
};

/**
 * A node-postgres failure as a StateError naming the store (never its password).
 * Errors that already are ours pass through.
 */
export function pgError(error: unknown, display: string): AudiencectlError {
  if (error instanceof AudiencectlError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const reason =
    (typeof code === 'string' ? CONNECTION_CODES[code] : undefined) ??
    (error instanceof Error ? error.message : String(error));
  const detail = typeof code === 'string' ? ` [${code}]` : '';
  return new StateError('STATE_DB_ERROR', redactText(`PostgreSQL state ${display}: ${reason}${detail}`), {
    cause: error,
  });
}
