import { credentialsRefused } from '../aep/credentials-refused.js';

/** Store errors that say the recorded state cannot be read: a record that is not JSON or fails its schema, a file refused. */
const UNREADABLE_STORE = new Set(['STATE_CORRUPT', 'STATE_UNREADABLE']);

/**
 * Store errors that say nothing can be recorded: a directory refused or full (its lock cannot
 * even be made), a PostgreSQL server that takes no writes (a hot standby, a read-only role).
 */
const UNWRITABLE_STORE = new Set(['STATE_UNWRITABLE', 'STATE_READ_ONLY']);

/** Whether `error` says the store takes no writes (STATE_UNWRITABLE, STATE_READ_ONLY). */
export function isUnwritableStore(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNWRITABLE_STORE.has(code);
}

/**
 * Why a pass that failed with `error` leaves the controller unable to reconcile until a person
 * acts, or undefined for a failure the next pass may not meet (an outage, a lock held by an
 * apply): the `/readyz` reason's start. Credentials IMS refuses are configuration no retry
 * mends. A store that cannot be read fails every pass before it plans: nothing is applied until
 * the record is restored or forgotten (its message says how). A store that cannot be written
 * fails every pass that would record anything (the lock first), so nothing is applied either,
 * until a person frees the disk or makes the volume writable: a controller that cannot record
 * what it did must not be called healthy.
 */
export function standingFault(error: unknown): string | undefined {
  if (credentialsRefused(error)) return 'AEP credentials refused';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (UNREADABLE_STORE.has(code)) return 'the state store cannot be read';
  if (UNWRITABLE_STORE.has(code)) return 'the state store cannot be written';
  return undefined;
}
