import os from 'node:os';
import pg, { type ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import pgPass from 'pgpass';
import {
  RefusedFileError,
  checkRegularFileSync,
  isMissingPath,
  readRegularText,
  secretPathNote,
} from '../../files/read-regular.js';
import { registerSecret } from '../../log.js';
import { StateError, reasonOf } from '../errors.js';
import { PASSWORD_FILE_PLACEHOLDER, type PasteFlags } from '../../text/paste-flags.js';
import { preferredTlsStream } from './tls-preferred.js';

/** Where a password may come from besides the URL (see resolvePassword). */
export type PgAccess = {
  /** A file holding only the password (a mounted Kubernetes Secret). `--state-password-file`. */
  passwordFile?: string | undefined;
  /**
   * What gave `passwordFile`, named first in its refusals: AUDIENCECTL_STATE_PASSWORD_FILE (a
   * deployment's way) or the flag. Default `--state-password-file`.
   */
  passwordFileSetting?: string | undefined;
  /** What the server shows in pg_stat_activity. */
  applicationName?: string;
  /** ms; `--state-connect-timeout`. Default PG_DEFAULTS.connectMs. */
  connectTimeoutMs?: number | undefined;
  /** ms; `--state-query-timeout`. Default PG_DEFAULTS.queryMs. */
  queryTimeoutMs?: number | undefined;
  /** The flags the commands the store's messages print carry (src/text/paste-flags.ts). */
  paste?: PasteFlags | undefined;
  /**
   * The URL came from the environment or the configuration file (AUDIENCECTL_STATE, `state:`),
   * not a flag: a printed command inherits it as this process did, so it names no `--state`.
   * Default false (the URL is named, without its password).
   */
  urlInherited?: boolean | undefined;
  /**
   * The flag that named the store, where a command takes two (`state migrate`'s `--from`,
   * `--to`): its schema refusals start with it, so that they say which side. Default none.
   */
  flag?: string | undefined;
};

/**
 * How long a connection may take to open, and a query to be answered, before it fails.
 * On a network that silently drops packets, nothing else ends a wait: TCP would retry for
 * about 15 minutes. `connectMs` also bounds the wait for a free connection of the pool.
 */
export type PgTimeouts = { connectMs: number; queryMs: number };

/** How many connections a store's pool keeps (the lock's and the push listener's are apart). */
export const POOL_SIZE = 4;

/** 10 s to connect (a TCP and TLS handshake, authentication); 30 s for a query. */
export const PG_DEFAULTS: PgTimeouts = { connectMs: 10_000, queryMs: 30_000 };

/**
 * Each statement of `init`'s migrations (which may wait for another `init`, or rewrite a
 * big table) and of `state migrate`'s copy (which empties and refills a whole store) gets
 * at least this long: 5 min.
 */
export const LONG_QUERY_MS = 300_000;

/** The timeouts `access` asks for, defaults filled in. */
export function timeoutsOf(access: PgAccess): PgTimeouts {
  return {
    connectMs: access.connectTimeoutMs ?? PG_DEFAULTS.connectMs,
    queryMs: access.queryTimeoutMs ?? PG_DEFAULTS.queryMs,
  };
}

/**
 * What the server itself enforces on each of our sessions, whatever the client does: a peer
 * that vanished (a lost node, a partition) is noticed by TCP keepalives about 11 s after its
 * last packet (5 s idle, 3 probes 2 s apart), and a transaction left open by a client that
 * went quiet ends after `queryMs` (none of ours pauses inside a transaction: each sends its
 * statements back to back). Without them a lost holder's open write kept its share lock on
 * `lock_state`, so the next holder's generation bump waited, for the OS's keepalive time
 * (about 2 h). And no `idle_session_timeout` (PostgreSQL 14+), which a DBA may set on the
 * database or role to reap leaked idle clients: the push listener's session only waits after
 * its LISTEN, and was ended at each timeout, losing the hints sent meanwhile; our other
 * sessions are closed by us when idle (the pool after 10 s, the lock's checked every 2 s).
 * PostgreSQL 13 does not know that setting (SET would fail): it is set only where pg_settings
 * lists it. And read committed, whatever default a DBA gave the database or role
 * (default_transaction_isolation): every write moves the serial on the one `meta` row, and
 * under repeatable read or serializable a second write at once was refused (40001, "could not
 * serialize access due to concurrent update"), a step FAILED with its call sent; the fence and
 * the takeover's wait are written for read committed. And our statements' own budget on the
 * server's side, whatever limits a DBA set on the database or role to cut runaway queries:
 * `statement_timeout` is the query timeout, `lock_timeout` none, and `transaction_timeout`
 * (PostgreSQL 17) none. A takeover's generation bump waits for the sessions holding
 * lock_state (a person's psql keeping writers out), a write for a record a person locked: a
 * DBA's `statement_timeout = '1s'` (or `lock_timeout`) cut those waits, and the command failed
 * with "canceling statement due to statement timeout [57014]" though the person committed a
 * second later; `transaction_timeout` ended the session. Each statement stays bounded by the
 * query timeout, on both sides. Each of these is a user setting: any role may set it for its
 * own session.
 */
function sessionLimits(queryMs: number): string {
  const ms = Math.max(1, Math.ceil(queryMs));
  return (
    'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3; ' +
    `SET idle_in_transaction_session_timeout = ${ms}; ` +
    `SET statement_timeout = ${ms}; SET lock_timeout = 0; ` +
    "SET default_transaction_isolation = 'read committed'; " +
    "SELECT set_config(name, '0', false) FROM pg_settings WHERE name IN ('idle_session_timeout', 'transaction_timeout')"
  );
}

/** How long a graceful end (Terminate, then the server's close) may take before the socket is cut. */
const END_GRACE_MS = 1_000;

/**
 * A node-postgres client whose end() never hangs: on a connection whose peer went silent,
 * the graceful goodbye waits for a close that never comes, and the open socket kept the
 * process alive. After END_GRACE_MS the socket is destroyed.
 */
export class PgClient extends pg.Client {
  /** The query timeout this client was given: its session's idle-in-transaction limit. */
  readonly #queryMs: number;

  constructor(config?: string | ClientConfig) {
    super(config);
    const given = typeof config === 'object' ? config.query_timeout : undefined;
    this.#queryMs = given ?? PG_DEFAULTS.queryMs;
  }

  /**
   * A connect that fails once the socket is open (node-postgres gives up a SCRAM exchange
   * when no password was found) left the socket open: the server's backend waited for the
   * rest of it until its authentication_timeout (60 s by default), and kept the process alive
   * that long after its error. The socket is destroyed.
   *
   * Once open, the session gets the server-side limits (sessionLimits) before any statement
   * of ours: a connection counts as open only with them.
   *
   * node-postgres reports a failed connect to its caller, never as an 'error' event, and
   * pg-pool listens for a client's events only once its connect has called back. A connection
   * cut during the limits' statement emitted an 'error' nobody heard, and crashed the process:
   * until connect answers, its failures are the caller's, and a failed client's are nobody's.
   */
  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error) => void): void;
  override connect(callback?: (error: Error) => void): Promise<pg.Client> | void {
    const heardByConnect = () => undefined;
    this.on('error', heardByConnect);
    const connected = super
      .connect()
      .then(() => this.query(sessionLimits(this.#queryMs)))
      .then(
        () => {
          this.removeListener('error', heardByConnect);
          return this;
        },
        (error: unknown) => {
          // The listener stays: the cut socket still reports its end, after connect has failed.
          this.connection.stream.destroy();
          throw error;
        },
      );
    if (!callback) return connected;
    const told = callback as (error?: unknown) => void;
    connected.then(
      () => told(),
      (error: unknown) => told(error),
    );
  }

  override end(): Promise<void>;
  override end(callback: (error: Error) => void): void;
  override end(callback?: (error: Error) => void): Promise<void> | void {
    const cut = setTimeout(() => this.connection.stream.destroy(), END_GRACE_MS);
    cut.unref();
    this.once('end', () => clearTimeout(cut));
    if (callback) return super.end(callback);
    return super.end();
  }
}

/**
 * A PgClient class for one store's pool: every client is in `clients` until its socket
 * closes, and none connects once `refusal()` names an error (it fails with it at once). A
 * store that lost its lock cuts them all, and its pool opens no new one to a server that may
 * be silent (PgStateStore's abandon).
 */
export function trackedClient(clients: Set<pg.Client>, refusal: () => Error | undefined): typeof PgClient {
  return class TrackedClient extends PgClient {
    constructor(config?: string | ClientConfig) {
      super(config);
      clients.add(this);
      this.connection.once('end', () => clients.delete(this));
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: (error: Error) => void): void;
    override connect(callback?: (error: Error) => void): Promise<pg.Client> | void {
      const refused = refusal();
      if (refused) {
        clients.delete(this);
        if (!callback) return Promise.reject(refused);
        process.nextTick(() => callback(refused));
        return;
      }
      if (callback) return super.connect(callback);
      return super.connect();
    }
  };
}

/**
 * Waits until the sockets of `clients` (a trackedClient set) have closed, at most `graceMs`,
 * then cuts those still open. pg-pool's end() resolves once it has asked its idle clients to
 * end, before the server has let them go: a command returning then would still hold its
 * sessions for a moment. A server gone silent cannot hold a closing store longer than the grace.
 */
export async function socketsClosed(clients: Set<pg.Client>, graceMs: number): Promise<void> {
  const open = [...clients];
  if (open.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  const closed = open.map(
    (client) =>
      new Promise<void>((resolve) => {
        if (!clients.has(client)) resolve();
        else client.connection.stream.once('close', () => resolve());
      }),
  );
  await Promise.race([Promise.all(closed), grace]);
  clearTimeout(timer);
  for (const client of open) if (clients.has(client)) client.connection.stream.destroy();
}

function fromPassFile(config: ClientConfig): Promise<string | undefined> {
  return new Promise((resolve) => {
    pgPass(
      {
        host: config.host ?? 'localhost',
        port: String(config.port ?? 5432),
        database: config.database ?? '',
        user: config.user ?? os.userInfo().username,
      },
      resolve,
    );
  });
}

/** The flag of the state password file, which its refusals name unless a variable gave it. */
const PASSWORD_FILE_FLAG = '--state-password-file';

/** Why a password file's path that names no file was refused, without repeating the path. */
function missingPasswordFile(file: string, why: string, setting: string): string {
  // Our placeholder from a printed command, pasted as it was, is no secret and says what to do.
  if (file === PASSWORD_FILE_PLACEHOLDER) {
    const given = setting.startsWith('--') ? `${setting} ${file}` : `${setting}=${file}`;
    return `${given} is a placeholder: replace it with the path of a file holding the database password`;
  }
  return `${setting}: cannot read the state password file: ${why} (${secretPathNote()})`;
}

/** A password file larger than this is no password file: 64 KiB. */
const MAX_PASSWORD_FILE_BYTES = 64 * 1024;

/**
 * `--state-password-file`'s password, without its final newline. An empty (or blank) file
 * is refused: as no password, the server's refusal would tell the user to give one. Each
 * refusal starts with `setting`, the flag or the variable that gave the file: a deployment
 * that sets the variable was told of "the state password file", naming nothing to change.
 */
async function readPasswordFile(file: string, setting = PASSWORD_FILE_FLAG): Promise<string> {
  // Read without blocking: a FIFO waited for a writer, past the connect timeout, forever.
  const text = await readRegularText(file, { maxBytes: MAX_PASSWORD_FILE_BYTES }).catch((error: unknown) => {
    const why = error instanceof RefusedFileError ? error.reason : reasonOf(error);
    // A path that names no file may be the password itself, pasted where its path belonged.
    const reason = isMissingPath(error)
      ? missingPasswordFile(file, why, setting)
      : `${setting}: cannot read the state password file ${file}: ${why}`;
    throw new StateError('STATE_PASSWORD_FILE', reason, { cause: error });
  });
  const password = text.replace(/\r?\n$/, '');
  if (password.trim() !== '') return password;
  const what = password === '' ? 'is empty' : 'holds only blanks';
  throw new StateError(
    'STATE_PASSWORD_FILE',
    `${setting}: the state password file ${file} ${what}: write the database password in it`,
  );
}

/**
 * `--state-password-file` read as a store is opened, whether or not its password is used:
 * read only when the server asked for a password the URL did not give, a typo in its path
 * passed every command while the URL carried the password (or the server trusted the
 * client), and surfaced when that changed (review cli-40). Its password is a secret from now.
 * `setting`: what gave it (PgAccess.passwordFileSetting).
 */
export async function checkPasswordFile(file: string, setting?: string): Promise<void> {
  registerSecret(await readPasswordFile(file, setting));
}

/**
 * The password, in order: the URL, `--state-password-file`, PGPASSWORD, then the
 * password file (PGPASSFILE, else ~/.pgpass, with libpq's rules). Every one found is
 * registered as a secret, so logs and error texts never carry it.
 */
async function resolvePassword(config: ClientConfig, access: PgAccess, fromUrl: string | undefined) {
  if (fromUrl) return fromUrl;
  if (access.passwordFile) return readPasswordFile(access.passwordFile, access.passwordFileSetting);
  if (process.env.PGPASSWORD) return process.env.PGPASSWORD;
  return fromPassFile(config);
}

/**
 * The server asked for a password and none was found anywhere (resolvePassword). Said so
 * by pgError: sent empty, a server asking for md5 or a clear-text password answered "the
 * password was refused" (28P01), as if one had been given; one asking for SCRAM, the
 * driver's own "client password must be a string".
 */
export class NoPasswordError extends Error {
  override readonly name = 'NoPasswordError';
}

/** The URL's parameters that name files node-postgres reads (synchronously, as it parses the URL). */
const SSL_FILES = ['sslcert', 'sslkey', 'sslrootcert'];

/**
 * Each file the URL's sslcert, sslkey and sslrootcert name is a regular file: a FIFO
 * there hung the command, and a missing one ended it with a stack trace.
 */
function checkSslFiles(url: string): void {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return;
  }
  for (const name of SSL_FILES) {
    for (const file of params.getAll(name)) {
      if (file === '') continue;
      try {
        checkRegularFileSync(file);
      } catch (error) {
        const why = error instanceof RefusedFileError ? error.reason : reasonOf(error);
        throw new StateError('STATE_SSL_FILE', `cannot read ${file}, the state URL's ${name}: ${why}`, {
          cause: error,
        });
      }
    }
  }
}

/**
 * node-postgres reads sslmode prefer, require and verify-ca as verify-full (docs/state.md),
 * and says so in a nine-line process warning at every start of ours (review 20a, L3); given
 * verify-full, it reads the same and says nothing. With uselibpqcompat=true each mode keeps
 * libpq's meaning, and the URL is left as written.
 */
function asDriverReadsIt(url: string): string {
  if (/[?&]uselibpqcompat=true(?=[&#]|$)/i.test(url)) return url;
  return url.replace(/([?&]sslmode=)(?:prefer|require|verify-ca)(?=[&#]|$)/g, '$1verify-full');
}

/** node-postgres settings for `url`; the password is looked up once, when first needed. */
export function clientConfig(url: string, access: PgAccess): ClientConfig {
  const timeouts = timeoutsOf(access);
  checkSslFiles(url);
  let parsed: ReturnType<typeof parseIntoClientConfig>;
  try {
    parsed = parseIntoClientConfig(asDriverReadsIt(url));
  } catch (error) {
    // Its own refusals (two spellings of uselibpqcompat, verify-ca without sslrootcert): one
    // line, not an internal error's stack trace. The URL itself is never in them.
    throw new StateError(
      'STATE_BAD_URL',
      `the state URL is refused by the PostgreSQL client: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const fromUrl = typeof parsed.password === 'string' && parsed.password !== '' ? parsed.password : undefined;
  registerSecret(fromUrl);
  const base: ClientConfig = { ...parsed };
  delete base.password;
  // No sslmode, sslcert, sslkey, sslrootcert or ssl in the URL, nor PGSSLMODE (which node-postgres
  // reads then): libpq's default, prefer, instead of node-postgres's clear text: a connection of
  // ours that node-postgres speaks clear text over, carried over TLS when the server has it.
  if (parsed.ssl === undefined && process.env.PGSSLMODE === undefined) base.stream = preferredTlsStream;
  let cached: Promise<string | undefined> | undefined;
  return {
    ...base,
    application_name: access.applicationName ?? 'audiencectl',
    // A peer that vanished without closing its socket is noticed by the keepalives.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    connectionTimeoutMillis: timeouts.connectMs,
    // Client-side: a query unanswered this long fails, whatever the network does.
    query_timeout: timeouts.queryMs,
    password: async () => {
      cached ??= resolvePassword(base, access, fromUrl).then((password) => {
        registerSecret(password);
        return password;
      });
      // Called only when the server asks for one (never with trust authentication).
      const password = await cached;
      if (password === undefined)
        throw new NoPasswordError('the server asks for a password and none was given');
      return password;
    },
  };
}
