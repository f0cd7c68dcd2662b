import type { PgClient } from './connection.js';

/**
 * The session a store tries its lock on, kept between tries that found the lock held by
 * another (a controller's standby, every second): a session per try was a server process
 * forked, a SCRAM exchange, our limits set and, with log_connections and log_disconnections,
 * two log lines, 86,400 times a day per standby. Kept only while it lives: a session whose
 * connection ends or fails while it waits (a server restart, a failover, an idle limit) is
 * dropped, and the next try opens a new one. A kept session has had the read-only check
 * (read-only-server.ts): it took writes when it opened, and a server never becomes a hot
 * standby under an open session (a demotion restarts it), so its tries need not ask again.
 */
export class SpareLockClient {
  #client: PgClient | undefined;

  readonly #drop = (): void => {
    const client = this.#client;
    this.#client = undefined;
    client?.connection.stream.destroy();
  };

  /** Keeps `client`, already connected and checked, its listeners of the try removed. */
  keep(client: PgClient): void {
    this.#drop();
    client.removeAllListeners('error');
    client.removeAllListeners('end');
    client.on('error', this.#drop);
    client.on('end', this.#drop);
    this.#client = client;
  }

  /** The kept session, now the caller's (its listeners are the caller's to set), or undefined. */
  take(): PgClient | undefined {
    const client = this.#client;
    this.#client = undefined;
    client?.removeListener('error', this.#drop);
    client?.removeListener('end', this.#drop);
    return client;
  }

  /** Ends the kept session, if any (the store is closed). */
  async end(): Promise<void> {
    const client = this.take();
    if (!client) return;
    client.on('error', () => undefined);
    await client.end().catch(() => undefined);
  }
}
