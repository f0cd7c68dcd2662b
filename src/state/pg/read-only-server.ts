import { StateError } from '../errors.js';

/**
 * Whether the server takes our writes, asked with the lock's try (the same round trip): a hot
 * standby (a read replica's endpoint, or a primary demoted by a failover) reads fine, so `plan`
 * and `state list` worked, and refused the first write with the server's words only, `cannot
 * execute UPDATE in a read-only transaction [25006]`, naming neither the cause nor the fix.
 */
export const SERVER_WRITES =
  "pg_is_in_recovery() AS standby, current_setting('default_transaction_read_only') = 'on' AS read_only";

export type ServerWrites = { standby: boolean; read_only: boolean };

/** STATE_READ_ONLY naming why the server takes no writes and what to do; undefined when it takes them. */
export function readOnlyServer(row: ServerWrites | undefined, display: string): StateError | undefined {
  if (row?.standby)
    return new StateError(
      'STATE_READ_ONLY',
      `the state store ${display} is on a read-only server: it is a hot standby (in recovery: a read replica, or a primary demoted by a failover), which takes no writes; point the state URL at the primary (read-write) server`,
    );
  if (row?.read_only)
    return new StateError(
      'STATE_READ_ONLY',
      `the state store ${display} is read-only: the database or role defaults to read-only transactions (default_transaction_read_only = on), so no write would pass; point the state URL at a read-write database, or have its administrator set default_transaction_read_only = off for it`,
    );
  return undefined;
}
