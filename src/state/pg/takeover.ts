import { performance } from 'node:perf_hooks';
import pg, { type ClientConfig } from 'pg';
import { StateError } from '../errors.js';
import { PgClient } from './connection.js';
import { LOCK_CLASS, WRITE_CLASS, lockKeyOf } from './keys.js';
import { sql } from './migrations.js';
import { seconds } from './pg-errors.js';

/** A session of the server, as far as our role may see it (another role's shows its pid only). */
type Backend = { pid: number; app: string | null; addr: string | null };

/** `PostgreSQL session pid 4242 (application_name "audiencectl", from 10.0.0.5)`. */
export function describeBackend(backend: Backend): string {
  const details = [
    backend.app ? `application_name ${JSON.stringify(backend.app)}` : undefined,
    backend.addr ? `from ${backend.addr}` : undefined,
  ].filter(Boolean);
  return `PostgreSQL session pid ${backend.pid}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

const BACKEND_COLUMNS = 'l.pid, a.application_name AS app, host(a.client_addr) AS addr';

/** The session holding this schema's store lock, if one does. */
export async function lockSessionOf(client: pg.Client, schema: string): Promise<Backend | undefined> {
  const { rows } = await client.query<Backend>(
    `SELECT ${BACKEND_COLUMNS} FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2`,
    [LOCK_CLASS, lockKeyOf(schema)],
  );
  return rows[0];
}

/**
 * The other sessions holding a lock on `lock_state` that the generation bump waits for. A
 * write of the previous holder (`write`) holds only the fence's `RowShareLock` there, and the
 * mark of a write fenced by the lock session `lock_state` records (WRITE_CLASS, keys.ts). Any
 * other session is named, never ended: a person's `SELECT ... FOR UPDATE` in psql, to keep
 * writers out while repairing rows by hand, takes the same `RowShareLock`.
 */
async function blockersOf(client: pg.Client, schema: string): Promise<Blocker[]> {
  const { rows } = await client.query<Blocker>(
    sql(
      schema,
      `SELECT l.pid, min(a.application_name) AS app, min(host(a.client_addr)) AS addr,
              bool_and(l.mode = 'RowShareLock') AND EXISTS (
                SELECT 1 FROM pg_locks w
                 WHERE w.pid = l.pid AND w.locktype = 'advisory' AND w.granted AND w.objsubid = 2
                   AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND w.classid = $1::bigint::oid
                   AND w.objid = (SELECT backend_pid FROM {s}.lock_state)::bigint::oid) AS write
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.mode <> 'AccessShareLock'
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.relation = '{s}.lock_state'::regclass AND l.pid <> pg_backend_pid()
        GROUP BY l.pid ORDER BY l.pid`,
    ),
    [WRITE_CLASS],
  );
  return rows;
}

type Blocker = Backend & { write: boolean };

/**
 * How long one try of the generation bump waits for a row lock (less when the query timeout
 * is short): a live holder's write ends within milliseconds.
 */
const BUMP_TRY_MS = 1_000;

/** SQLSTATE lock_not_available: `lock_timeout` ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Takes the fencing token: bumps `lock_state.generation`, naming this session and `holder`.
 * The bump waits for the writes of previous holders already past the fence. We hold the store
 * lock, so their lock sessions are gone: a write still open after a try is one whose process
 * is lost (a dead node, a partition: its transaction would stay open until the server's
 * limits end it) or no longer writes as a holder; it is ended (pg_terminate_backend), which
 * rolls it back as the server would have, its intent kept for this holder to settle, and
 * returned in `ended` to be said. Each try is bounded by `lock_timeout`, so that a bump given
 * up leaves no statement waiting on the server (it would have taken the lock with it). Fails
 * STATE_LOCK_BLOCKED once `queryMs` is spent, naming what it waits for.
 */
export async function bumpGeneration(
  client: pg.Client,
  schema: string,
  holderJson: string,
  display: string,
  queryMs: number,
): Promise<{ row: { generation: string; pid: number } | undefined; ended: string[] }> {
  const tryMs = Math.max(50, Math.min(BUMP_TRY_MS, Math.floor(queryMs / 4)));
  await client.query(`SET lock_timeout = ${tryMs}`);
  const started = performance.now();
  const ended: string[] = [];
  for (;;) {
    try {
      const bumped = await client.query<{ generation: string; pid: number }>(
        sql(
          schema,
          `UPDATE {s}.lock_state SET generation = generation + 1, backend_pid = pg_backend_pid(),
                  holder = $1, acquired_at = now()
            RETURNING generation::text AS generation, backend_pid AS pid`,
        ),
        [holderJson],
      );
      return { row: bumped.rows[0], ended };
    } catch (error) {
      if (!(error instanceof pg.DatabaseError && error.code === LOCK_NOT_AVAILABLE)) throw error;
    }
    const blockers = await blockersOf(client, schema);
    const refusals: string[] = [];
    const gone = new Set<number>();
    for (const blocker of blockers.filter((b) => b.write)) {
      await client.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [blocker.pid]).then(
        (result) => {
          if (!result.rows[0]?.ok) return;
          gone.add(blocker.pid);
          ended.push(describeBackend(blocker));
        },
        (error: unknown) => {
          const code = error instanceof pg.DatabaseError ? ` [${error.code}]` : '';
          refusals.push(`${error instanceof Error ? error.message : String(error)}${code}`);
        },
      );
    }
    if (performance.now() - started + tryMs >= queryMs)
      throw blockedError(
        display,
        blockers.filter((b) => !gone.has(b.pid)),
        refusals,
        queryMs,
      );
  }
}

function blockedError(display: string, blockers: Blocker[], refusals: string[], queryMs: number): StateError {
  const within = `the state store ${display} could not be taken over within ${seconds(queryMs)}`;
  if (blockers.length === 0)
    return new StateError('STATE_LOCK_BLOCKED', `${within}: its generation bump kept waiting; run again.`);
  const writes = blockers.filter((b) => b.write);
  const others = blockers.filter((b) => !b.write);
  const what: string[] = [];
  if (writes.length > 0) {
    const ended =
      refusals.length > 0 ? `it could not be ended (${[...new Set(refusals)].join('; ')})` : 'it did not end';
    what.push(
      `a write of a previous holder, whose lock session is gone, is still open on the server: ${writes.map(describeBackend).join('; ')}; ${ended}`,
    );
  }
  if (others.length > 0)
    what.push(
      `other sessions, not writes of a previous holder (so not ended), hold locks on lock_state: ${others.map(describeBackend).join('; ')}`,
    );
  const end = blockers.map((b) => `SELECT pg_terminate_backend(${b.pid})`).join('; ');
  const advice =
    others.length === 0
      ? `End it as a role that may (${end}), or wait for the server to (its idle_in_transaction_session_timeout, or TCP keepalives finding its client gone)`
      : `Let them finish their transactions (COMMIT or ROLLBACK), or end them (${end})`;
  return new StateError(
    'STATE_LOCK_BLOCKED',
    `${within}: ${what.join('; and ')}. ${advice}; then run again.`,
  );
}

/**
 * Ends session `pid` from a connection of its own: a lock session whose statement was given up
 * client-side may still wait on the server, holding the store lock, until that statement ends.
 * Best effort: whatever fails, the server ends the session once it finds the socket closed.
 */
export async function endSession(config: ClientConfig, pid: number, queryMs: number): Promise<void> {
  const client = new PgClient({ ...config, query_timeout: queryMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_terminate_backend($1)', [pid]);
  } catch {
    // Said by the failure that led here.
  } finally {
    await client.end().catch(() => undefined);
  }
}
