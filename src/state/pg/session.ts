import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { ClientConfig } from 'pg';
import { StateError, StateLockedError } from '../errors.js';
import { describeHolder, lockedAdvice } from '../lock-holder.js';
import { LockHolder } from '../lock-holder-schema.js';
import type { LockOptions } from '../lock.js';
import { LOCK_CLASS, lockKeyOf } from './keys.js';
import { sql } from './migrations.js';
import { PgClient, type PgTimeouts } from './connection.js';
import { QUERY_TIMEOUT, isTimeout, pgError, seconds } from './pg-errors.js';
import { SERVER_WRITES, readOnlyServer, type ServerWrites } from './read-only-server.js';
import type { SpareLockClient } from './spare-lock-client.js';
import { bumpGeneration, describeBackend, endSession, lockSessionOf } from './takeover.js';

/** How often the holder checks that its lock connection is alive. */
const HEARTBEAT_MS = 2_000;

/**
 * The longest a check may wait for its answer (less when the query timeout is shorter).
 * The server ends a silent lock session (and frees the lock) about 11 s after its last
 * packet (the keepalives below): the holder gives up first (2 s + 8 s at worst).
 */
const CHECK_TIMEOUT_MS = 8_000;

/**
 * How long the server lets a lock session sit idle before it ends it (and frees the lock):
 * 30 s. The holder asks its lock connection every 2 s and gives up by itself after 10 s without
 * an answer, so a lock session idle this long is a holder that is gone. The server's TCP
 * keepalives find a vanished client first when it is connected directly; behind a pooler in
 * session mode (PgBouncer) they reach the pooler, alive, which keeps a dead client's server
 * session for as long as its own keepalives take (the OS's, about 2 h): no standby led meanwhile.
 * `idle_session_timeout` is PostgreSQL 14's: on 13 it is left unset (the pooler's settings then
 * decide, docs/state.md).
 */
export const SILENT_HOLDER_MS = 30_000;

const SILENT_HOLDER_LIMIT = `SELECT set_config(name, '${SILENT_HOLDER_MS}', false) FROM pg_settings WHERE name = 'idle_session_timeout'`;

/** A pg_locks row for this schema's store lock, held by backend `pid`. */
export const HELD_BY = `
  SELECT 1 FROM pg_locks
   WHERE locktype = 'advisory' AND granted AND pid = $PID
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND classid = $CLASS::bigint::oid AND objid = $KEY::bigint::oid AND objsubid = 2`;

export function heldBy(pid: string, cls: string, key: string): string {
  return HELD_BY.replace('$PID', pid).replace('$CLASS', cls).replace('$KEY', key);
}

/**
 * The store lock: a session-level advisory lock held by one dedicated connection.
 * The server drops it the moment that connection ends (a killed process, a
 * terminated backend), so no lock is ever left behind. `generation` is the fencing
 * token: every write checks it, and that this session still holds the lock, in its
 * own transaction.
 */
export type LockSession = {
  holder: LockHolder;
  generation: string;
  backendPid: number;
  /** The sessions of a previous holder's writes ended to take the lock (bumpGeneration), described. */
  endedWrites: string[];
  /** Set once the lock connection failed: writes are fenced by the server anyway. */
  readonly lost: StateError | undefined;
  /** Called once when the lock connection fails. */
  onLost(listener: (error: StateError) => void): void;
  /**
   * Asks the lock connection now (the heartbeat's check, out of turn): resolves once it
   * answered, or once its failure made the lock lost (`lost`, the listeners told).
   */
  verify(): Promise<void>;
  release(): Promise<void>;
};

function defaultCommand(): string {
  return [path.basename(process.argv[1] ?? 'node'), process.argv[2]].filter(Boolean).join(' ');
}

async function currentHolder(client: pg.Client, schema: string): Promise<LockHolder | undefined> {
  const result = await client.query<{ holder: unknown }>(
    sql(schema, `SELECT holder FROM {s}.lock_state l WHERE EXISTS (${heldBy('l.backend_pid', '$1', '$2')})`),
    [LOCK_CLASS, lockKeyOf(schema)],
  );
  const parsed = LockHolder.safeParse(result.rows[0]?.holder);
  return parsed.success ? parsed.data : undefined;
}

async function lockedError(
  client: pg.Client,
  schema: string,
  display: string,
  waitedMs: number,
  timeoutMs: number,
): Promise<StateLockedError> {
  const holder = await currentHolder(client, schema);
  // Without a timeout (--lock-timeout 0) it looked once and waited for nothing: said "after waiting 0.0 s".
  const waited = timeoutMs > 0 ? ` after waiting ${(waitedMs / 1000).toFixed(1)} s` : '';
  const server = `The lock is the server's: it is released the moment that process or its connection ends.`;
  if (holder)
    return new StateLockedError(
      'STATE_LOCKED',
      `the state store ${display} is locked by ${describeHolder(holder)}${waited}. ${lockedAdvice(holder, true)} ${server}`,
      holder,
    );
  // A session holds the lock but recorded no holder: one taking the lock this instant, or one
  // that never will (another program on the same advisory lock): named, with how to end it.
  const session = await lockSessionOf(client, schema);
  const who = session
    ? `${describeBackend(session)}, which recorded no holder`
    : 'a session that let go as it was looked at';
  const end = session
    ? ` If no audiencectl is taking it, end that session (SELECT pg_terminate_backend(${session.pid})).`
    : '';
  return new StateLockedError(
    'STATE_LOCKED',
    `the state store ${display} is locked by ${who}${waited}. ${lockedAdvice(undefined, true)}${end} ${server}`,
  );
}

function waitStopped(display: string, holder: LockHolder | undefined): StateLockedError {
  return new StateLockedError(
    'STATE_LOCK_WAIT_STOPPED',
    `stopped waiting for the state lock of ${display}, held by ${describeHolder(holder)}: nothing was changed.`,
    holder,
  );
}

/**
 * Takes the store lock on a session of its own (the spare's, kept from a try that found the lock
 * held, else a new one), trying until `options.timeoutMs`. Found held by another at the end
 * (STATE_LOCKED), its session is given to `spare` for the next try, not ended.
 */
export async function acquireSession(
  config: ClientConfig,
  schema: string,
  display: string,
  options: LockOptions,
  timeouts: PgTimeouts,
  spare: SpareLockClient,
): Promise<LockSession> {
  const timeoutMs = options.timeoutMs ?? 0;
  const pollMs = options.pollMs ?? 250;
  const kept = spare.take();
  const client = kept ?? new PgClient(config);
  /** Whether this session's server was found to take writes: asked once per session. */
  let checked = kept !== undefined;
  let lost: StateError | undefined;
  const listeners: Array<(error: StateError) => void> = [];
  const fail = (error: unknown) => {
    if (lost) return;
    lost = new StateError(
      'STATE_LOCK_LOST',
      `lost the connection holding the state lock of ${display} (${pgError(error, display, timeouts, config.user).message}); another audiencectl may take over, so this one stops writing`,
    );
    // Cut, not ended: a silent server never answers a goodbye, and the socket would keep the
    // process alive. A server that still hears ends the session, and frees the lock, at once.
    client.connection.stream.destroy();
    for (const listener of listeners.splice(0)) listener(lost);
  };
  client.on('error', fail);
  client.on('end', () => fail(new Error('connection closed')));
  const key = lockKeyOf(schema);
  /** This session's backend, once it holds the store lock. */
  let lockedBy: number | undefined;
  try {
    // Its session, as every one of ours, gets the server-side limits (connection.ts sessionLimits):
    // the server notices a holder that vanished without closing its socket within ~11 s.
    if (!kept) {
      await client.connect();
      // Set here, not with the others (connection.ts sessionLimits): only a lock session is asked
      // every 2 s; the push listener's only waits, and must never be ended for its silence.
      await client.query(SILENT_HOLDER_LIMIT);
    }
    // Timed on a clock that does not jump: a wall clock stepped ahead would end the wait at once.
    const started = performance.now();
    let waiting = false;
    for (;;) {
      const got = await client.query<{ ok: boolean; pid: number } & Partial<ServerWrites>>(
        `SELECT pg_try_advisory_lock($1, $2) AS ok, pg_backend_pid() AS pid${checked ? '' : `, ${SERVER_WRITES}`}`,
        [LOCK_CLASS, key],
      );
      if (!checked) {
        // Before the generation bump, which such a server refuses in its own words only (a lock
        // taken here is freed as this session ends).
        const readOnly = readOnlyServer(got.rows[0] as ServerWrites | undefined, display);
        if (readOnly) throw readOnly;
        checked = true;
      }
      if (got.rows[0]?.ok) {
        lockedBy = got.rows[0].pid;
        break;
      }
      const waited = performance.now() - started;
      if (options.signal?.aborted) throw waitStopped(display, await currentHolder(client, schema));
      if (waited >= timeoutMs) throw await lockedError(client, schema, display, waited, timeoutMs);
      if (!waiting) options.onWait?.(await currentHolder(client, schema));
      waiting = true;
      // Woken by the signal, it looks once more (the lock may be free) and then gives up.
      await sleep(Math.min(pollMs, timeoutMs - waited), undefined, { signal: options.signal }).catch(
        (error: unknown) => {
          if (!options.signal?.aborted) throw error;
        },
      );
    }
    const holder: LockHolder = {
      pid: process.pid,
      hostname: os.hostname(),
      since: new Date().toISOString(),
      command: options.command ?? defaultCommand(),
      nonce: randomUUID(),
      ...(options.source === undefined ? {} : { source: options.source }),
    };
    // Waits for (or ends) the writes of a previous holder still in flight, then fences them out.
    const { row, ended } = await bumpGeneration(
      client,
      schema,
      JSON.stringify(holder),
      display,
      timeouts.queryMs,
    );
    if (!row)
      throw new StateError(
        'STATE_CORRUPT',
        `${display}: the lock_state row is missing; run \`audiencectl init\``,
      );
    return session(
      client,
      { holder, endedWrites: ended },
      row,
      () => lost,
      listeners,
      fail,
      schema,
      timeouts,
    );
  } catch (error) {
    // Found held by another, on a session that lives: kept for the next try (spare-lock-client.ts).
    if (!lost && error instanceof StateLockedError && error.code === 'STATE_LOCKED') {
      spare.keep(client);
      throw error;
    }
    client.removeAllListeners('end');
    // A statement given up by its timeout may still wait on the server, in a session that holds
    // the store lock: every later command would find the store locked by it. It is ended.
    if (lockedBy !== undefined && isTimeout(error)) await endSession(config, lockedBy, CHECK_TIMEOUT_MS);
    await client.end().catch(() => undefined);
    throw pgError(error, display, timeouts, config.user);
  }
}

function session(
  client: pg.Client,
  { holder, endedWrites }: Pick<LockSession, 'holder' | 'endedWrites'>,
  row: { generation: string; pid: number },
  lost: () => StateError | undefined,
  listeners: Array<(error: StateError) => void>,
  fail: (error: unknown) => void,
  schema: string,
  timeouts: PgTimeouts,
): LockSession {
  // A check that waits for its answer forever would never notice a silent network.
  const checkMs = Math.min(timeouts.queryMs, CHECK_TIMEOUT_MS);
  // node-postgres reads `query_timeout` per query too; its types leave it out.
  const check: pg.QueryConfig & { query_timeout: number } = { text: 'SELECT 1', query_timeout: checkMs };
  /** One check: its failure, or no answer within checkMs, loses the lock (fail). */
  const probe = (): Promise<void> =>
    client.query(check).then(
      () => undefined,
      (error: unknown) =>
        fail(
          error instanceof Error && QUERY_TIMEOUT.test(error.message)
            ? new Error(`no answer to the lock connection's check within ${seconds(checkMs)}`, {
                cause: error,
              })
            : error,
        ),
    );
  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating || lost()) return;
    beating = true;
    void probe().finally(() => {
      beating = false;
    });
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    holder,
    endedWrites,
    generation: row.generation,
    backendPid: row.pid,
    get lost() {
      return lost();
    },
    onLost(listener) {
      const already = lost();
      if (already) listener(already);
      else listeners.push(listener);
    },
    verify() {
      return lost() ? Promise.resolve() : probe();
    },
    async release() {
      clearInterval(heartbeat);
      listeners.splice(0);
      client.removeAllListeners('end');
      // Lost: its socket is already cut (fail), there is nothing to say goodbye to.
      if (lost()) return;
      await client
        .query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, lockKeyOf(schema)])
        .catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
