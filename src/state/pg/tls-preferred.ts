import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type pg from 'pg';

/**
 * libpq's default, `sslmode=prefer`, which node-postgres lacks (its default is no TLS at all):
 * a state URL naming no sslmode connected in clear text to a server that speaks TLS, where psql
 * and every libpq client the team points at the same URL encrypt. Such a connection asks for TLS
 * (the server's certificate unchecked, as prefer does), and a server answering that it has none
 * gets the startup in clear text on the same socket, as libpq does. Compared by identity
 * (PgClient): the settings of a URL that names its own TLS are never this object.
 */
export const PREFERRED_TLS: { readonly rejectUnauthorized: false } = Object.freeze({
  rejectUnauthorized: false,
});

/** The server's one-byte answer to an SSLRequest: it has no TLS. */
const NO_TLS = 'N';
/** ... and: it has TLS, the handshake follows. */
const TLS = 'S';

/**
 * SQLSTATE invalid_authorization_specification, as the server's first answer to an encrypted
 * startup: no pg_hba.conf line takes this session encrypted (a `hostnossl` one would in clear
 * text), or a `reject` line for encrypted sessions. Never the password's refusal (28P01): its
 * server has a line for the encrypted session, and clear text would be refused the same.
 */
const REFUSED_ENCRYPTED = '28000';

/** What of node-postgres's Connection (pg 8) this relies on; @types/pg leaves it out. */
type DriverConnection = {
  stream: Duplex;
  ssl: unknown;
  _ending: boolean;
  connect(port: number | string, host?: string): void;
  attachListeners(stream: Duplex): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
};

/** The listeners of `event` that `register` added to `emitter`. */
function addedBy(emitter: Duplex, event: string, register: () => void): Array<(...args: unknown[]) => void> {
  const before = new Set(emitter.rawListeners(event));
  register();
  return emitter.rawListeners(event).filter((listener) => !before.has(listener)) as Array<
    (...args: unknown[]) => void
  >;
}

/**
 * Makes `connection` (asking for TLS) behave as libpq's prefer, both halves of it. A server
 * answering that it has no TLS gets the startup in clear text on the same socket. A TLS
 * attempt that fails before the server took the session (the handshake: a server speaking only
 * TLS 1.0 or 1.1, below Node's minimum; or the server refusing the encrypted session with
 * 28000, a pg_hba.conf whose client lines are `hostnossl`) is given up for a new connection in
 * clear text, as libpq does: psql connected with the same URL, and so did audiencectl before it
 * asked for TLS, while it failed with an OpenSSL dump or "the server refused user". The
 * SSLRequest and the TLS upgrade stay the driver's; its client sends its startup on
 * 'sslconnect' (its 'connect' handler would ask for TLS again), so the clear connection's
 * 'connect' is kept from it and 'sslconnect' said instead.
 */
export function preferTls(connection: pg.Connection): void {
  const driver = connection as unknown as DriverConnection;
  const connect = driver.connect.bind(driver);
  const emit = driver.emit.bind(driver);
  /** The TLS attempt, from the server's "S" until its first answer that is no refusal of it. */
  let attempt:
    | {
        raw: Duplex;
        rawListeners: { close: Array<(...a: unknown[]) => void>; error: Array<(...a: unknown[]) => void> };
      }
    | undefined;
  /** The clear connection is being opened: its 'connect' is not the client's to hear. */
  let fallingBack = false;

  const fallBack = (port: number | string, host: string | undefined) => {
    const { raw, rawListeners } = attempt!;
    attempt = undefined;
    fallingBack = true;
    const encrypted = driver.stream;
    // The given-up sockets say nothing more to the client: their end is not the connection's.
    for (const listener of rawListeners.close) raw.removeListener('close', listener);
    for (const listener of rawListeners.error) raw.removeListener('error', listener);
    encrypted.removeAllListeners('error');
    encrypted.removeAllListeners('data');
    encrypted.on('error', () => undefined);
    raw.on('error', () => undefined);
    encrypted.destroy();
    raw.destroy();
    driver.stream = new Socket();
    driver.ssl = false;
    connect(port, host);
    driver.stream.once('connect', () => {
      fallingBack = false;
      emit('sslconnect');
    });
  };

  driver.connect = (port, host) => {
    const stream = driver.stream;
    const rawListeners = {
      close: [] as Array<(...a: unknown[]) => void>,
      error: [] as Array<(...a: unknown[]) => void>,
    };
    rawListeners.close = addedBy(stream, 'close', () => {
      rawListeners.error = addedBy(stream, 'error', () => connect(port, host));
    });
    // The driver's once-listener for the answer: the last 'data' listener connect registered.
    const answer = stream.rawListeners('data').at(-1) as ((buffer: Buffer) => void) | undefined;
    if (!answer) return;
    stream.removeListener('data', answer);
    stream.once('data', (buffer: Buffer) => {
      const said = buffer.length === 1 ? buffer.toString('latin1') : '';
      if (said === NO_TLS) {
        // The driver's client sends its startup on 'sslconnect': here, in clear text.
        driver.ssl = false;
        driver.attachListeners(stream);
        driver.emit('sslconnect');
        return;
      }
      if (said === TLS) attempt = { raw: stream, rawListeners };
      answer.call(stream, buffer);
    });
    driver.emit = (event, ...args) => {
      if (fallingBack && event === 'connect') return true;
      if (attempt && !driver._ending) {
        const refused =
          event === 'errorMessage' && (args[0] as { code?: unknown }).code === REFUSED_ENCRYPTED;
        // A failed handshake is said as the TLS socket's 'error' (then its close, 'end').
        if (event === 'error' || event === 'end' || refused) {
          fallBack(port, host);
          return true;
        }
        // Any other answer of the server: the encrypted session is taken, this is the connection.
        if (event !== 'sslconnect' && event !== 'message') attempt = undefined;
      }
      return emit(event, ...args);
    };
  };
}
