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

/** What of node-postgres's Connection (pg 8) this relies on; @types/pg leaves it out. */
type DriverConnection = {
  stream: Duplex;
  ssl: unknown;
  connect(port: number, host: string): void;
  attachListeners(stream: Duplex): void;
  emit(event: 'sslconnect'): boolean;
};

/**
 * Makes `connection` (asking for TLS) read the server's "no TLS" answer as prefer does. The
 * SSLRequest and the TLS upgrade stay the driver's; only that answer is taken from the driver's
 * handler, which ended the socket with "The server does not support SSL connections".
 */
export function preferTls(connection: pg.Connection): void {
  const driver = connection as unknown as DriverConnection;
  const connect = driver.connect.bind(driver);
  driver.connect = (port, host) => {
    connect(port, host);
    const { stream } = driver;
    // The driver's once-listener for the answer: the last 'data' listener connect registered.
    const answer = stream.rawListeners('data').at(-1) as ((buffer: Buffer) => void) | undefined;
    if (!answer) return;
    stream.removeListener('data', answer);
    stream.once('data', (buffer: Buffer) => {
      if (buffer.length !== 1 || buffer.toString('latin1') !== NO_TLS) {
        answer.call(stream, buffer);
        return;
      }
      // The driver's client sends its startup on 'sslconnect': here, in clear text.
      driver.ssl = false;
      driver.attachListeners(stream);
      driver.emit('sslconnect');
    });
  };
}
