import pg from 'pg';
import { redactText } from '../../log.js';
import { AudiencectlError } from '../../errors.js';
import { StateError } from '../errors.js';
import { NoPasswordError, POOL_SIZE, type PgTimeouts } from './connection.js';

/**
 * SQLSTATE classes a user fixes with their URL or credentials, not with a bug report. Those of
 * authentication name the user: the store is shown without it (a URL's user information is
 * never printed, safeUrl), and "this user" did not say which one was refused.
 */
const CONNECTION_CODES: Record<string, (user: string, said: string) => string> = {
  '28P01': (user) => `the password of ${user} was refused`,
  // The server's reason kept: 28000 is its answer for a role that may not log in (NOLOGIN), no
  // pg_hba.conf line for this host, user, database and encryption, a `reject` line: each fixed by
  // someone else, and "refused" alone told none of them apart (review ha-44).
  '28000': (user, said) => `the server refused ${user}: ${said}`,
  '3D000': () => 'the database does not exist',
  '57P01': () => 'the server terminated the connection',
  // insufficient_privilege: a role set up without USAGE on the schema (docs/state.md once named
  // only the tables' grants), or a grant revoked. The server's words named neither the role (the
  // store is shown without its URL's user) nor what it needs.
  '42501': (user, said) =>
    `${said}: ${user} needs USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on its tables (init: CREATE on the database)`,
  // read_only_sql_transaction: a write (init's migrations, a write after a failover demoted the
  // server) reaching a server that takes none; the lock's try says which (read-only-server.ts).
  '25006': () =>
    'the server takes no writes: it is a hot standby (a read replica, or a primary demoted by a failover), or the database or role defaults to read-only transactions; point the state URL at the primary (read-write) server',
};

const DEFAULT_USER = 'the user (none in the URL: PGUSER, else the login name)';

/** `user "app"` as the store's URL names it (node-postgres's `user`), or where it is taken from. */
function userOf(user: string | undefined): string {
  return user === undefined || user === '' ? DEFAULT_USER : `user ${JSON.stringify(user)}`;
}

/**
 * The server asked for a password and none was found (NoPasswordError, whatever the
 * authentication method; node-postgres's own text, `client password must be a
 * non-empty string`, for SCRAM): where to give one.
 */
const NO_PASSWORD = /client password must be a (non-empty )?string/;
const NO_PASSWORD_REASON =
  'the server asks for a password and none was given: set it with --state-password-file ' +
  '(or AUDIENCECTL_STATE_PASSWORD_FILE), PGPASSWORD, or a password file (PGPASSFILE, else ~/.pgpass)';

/**
 * node-postgres's own texts for its timeouts (pg 8, pg-pool 3): a query's `query_timeout`;
 * a client's `connectionTimeoutMillis` (the pool's, and a lone client's, whose socket it
 * destroys with "timeout expired"); the pool's wait for a free connection.
 */
export const QUERY_TIMEOUT = /^Query read timeout$/;
const CONNECT_TIMEOUT = /^(Connection terminated due to connection timeout|timeout expired)$/;
const POOL_WAIT = /^timeout exceeded when trying to connect$/;

/**
 * A node-postgres timeout: the connection is then unusable (a query still awaits its
 * answer), so a ROLLBACK on it would only wait out another timeout; the server rolls
 * back when the connection is destroyed.
 */
export function isTimeout(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return QUERY_TIMEOUT.test(message) || CONNECT_TIMEOUT.test(message) || POOL_WAIT.test(message);
}

/** node-postgres's own texts for a connection that ended under it, or was closed before a statement. */
const CONNECTION_ENDED =
  /^(Connection terminated( unexpectedly)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/;

/**
 * A statement that failed because its connection ended or could not be opened (the server
 * terminated the session or is shutting down: SQLSTATE classes 08 and 57P; the socket was
 * reset or refused): no refusal of the statement itself (a constraint, a permission, its SQL),
 * nor a timeout, nor one of our errors.
 */
export function isConnectionEnd(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return /^(08|57P)/.test(error.code ?? '');
  if (!(error instanceof Error) || error instanceof AudiencectlError || isTimeout(error)) return false;
  return CONNECTION_ENDED.test(error.message) || typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** `30 s`, `1.5 s`, `300 ms`. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * The server's cancel at `statement_timeout` (SQLSTATE 57014 is also a cancel asked for by
 * someone, pg_cancel_backend: "due to user request", left in the server's words).
 */
const STATEMENT_TIMEOUT = /statement timeout/;

/** What timed out and which setting raises it; undefined when `error` is no timeout. */
function timeoutReason(error: unknown, timeouts: PgTimeouts): { code: string; reason: string } | undefined {
  const message = error instanceof Error ? error.message : '';
  // Every session of ours sets statement_timeout to the query timeout (connection.ts
  // sessionLimits), so the server's cancel is that timeout, met on the server's side: a
  // statement that ran, or waited for a lock, that long. Said with the server's words only
  // ("canceling statement due to statement timeout"), it named neither the setting nor the flag.
  if (error instanceof pg.DatabaseError && error.code === '57014' && STATEMENT_TIMEOUT.test(message))
    return {
      code: 'STATE_DB_TIMEOUT',
      reason:
        `the server cancelled a statement at its statement_timeout: it ran, or waited for a lock, for the query timeout ` +
        `(${seconds(timeouts.queryMs)}, which audiencectl sets as the statement_timeout of its sessions; ` +
        `--state-query-timeout or AUDIENCECTL_STATE_QUERY_TIMEOUT raises the limit) [57014]`,
    };
  if (QUERY_TIMEOUT.test(message))
    return {
      code: 'STATE_DB_TIMEOUT',
      reason:
        `no answer from the server within ${seconds(timeouts.queryMs)} (the network or the server is not responding; ` +
        `--state-query-timeout or AUDIENCECTL_STATE_QUERY_TIMEOUT raises the limit)`,
    };
  // pg-pool's own wait for a free connection: every one of the process's was busy, its statement
  // waiting on the server. Said as a connection that could not be opened ("check the host, the
  // port and the network"), it sent the operator to a network that was fine.
  if (POOL_WAIT.test(message))
    return {
      code: 'STATE_DB_TIMEOUT',
      reason:
        `no free connection within ${seconds(timeouts.connectMs)}: the ${POOL_SIZE} connections this process keeps to the store ` +
        `were all busy, their statements waiting on the server (for locks another session holds, or a slow server); ` +
        `--state-connect-timeout or AUDIENCECTL_STATE_CONNECT_TIMEOUT raises the limit`,
    };
  if (CONNECT_TIMEOUT.test(message))
    return {
      code: 'STATE_DB_TIMEOUT',
      reason:
        `could not connect within ${seconds(timeouts.connectMs)} (check the host, the port and the network; ` +
        `--state-connect-timeout or AUDIENCECTL_STATE_CONNECT_TIMEOUT raises the limit)`,
    };
  return undefined;
}

/**
 * A node-postgres failure as a StateError naming the store (never its password).
 * Errors that already are ours pass through. A timeout (given the `timeouts` in effect)
 * is STATE_DB_TIMEOUT, saying what timed out and which setting raises it.
 */
export function pgError(
  error: unknown,
  display: string,
  timeouts: PgTimeouts,
  user?: string,
  /** The flag that named the store where a command takes two (`state migrate`'s --from, --to). */
  flag?: string,
): AudiencectlError {
  if (error instanceof AudiencectlError) return error;
  // As migrations.ts names the side: `--from: PostgreSQL state …`, not the same line for either.
  const side = flag === undefined ? '' : `${flag}: `;
  const timedOut = timeoutReason(error, timeouts);
  if (timedOut)
    return new StateError(
      timedOut.code,
      redactText(`${side}PostgreSQL state ${display}: ${timedOut.reason}`),
      {
        cause: error,
      },
    );
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const noPassword = error instanceof NoPasswordError || NO_PASSWORD.test(message);
  const reason =
    (typeof code === 'string' ? CONNECTION_CODES[code]?.(userOf(user), message) : undefined) ??
    (noPassword ? NO_PASSWORD_REASON : message);
  const detail = typeof code === 'string' ? ` [${code}]` : '';
  return new StateError(
    'STATE_DB_ERROR',
    redactText(`${side}PostgreSQL state ${display}: ${reason}${detail}`),
    {
      cause: error,
    },
  );
}
