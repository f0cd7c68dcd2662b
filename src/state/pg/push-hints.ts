import { createHash } from 'node:crypto';
import { escapeIdentifier, type ClientConfig, type Pool } from 'pg';
import type { PushListener } from '../store.js';
import { PgClient } from './connection.js';

/**
 * A verified webhook push passed between the replicas of one controller through PostgreSQL
 * (NOTIFY/LISTEN): the Service hands a delivery to any ready pod, and one reaching a standby
 * used to sync only the standby, the leader applying the push at its next --interval.
 * A hint carries nothing: whoever hears it syncs, as for its own delivery. One that is lost
 * (a connection down) costs that wait, as before; nothing else depends on it.
 */

/** The channel of one schema's controllers: a name under PostgreSQL's 63 bytes, whatever the schema's. */
function pushChannelOf(schema: string): string {
  return `audiencectl_push_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;
}

/** Tells every replica listening on `schema`'s channel (this one too) that a push was verified. */
export async function notifyPush(pool: Pool, schema: string): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [pushChannelOf(schema), '']);
}

/** Wait before listening again after the connection failed or ended. */
const RELISTEN_MS = 2_000;

/**
 * Listens on `schema`'s channel on a connection of its own (a pooled one is handed back and
 * forgets its LISTEN), calling `onHint` for each notification, and listens again after
 * RELISTEN_MS when the connection fails. `onError` hears each failure once (a cut connection
 * reports an 'error' and then ends: one log line, not two), `onListening` that listening works
 * again after one (so that the last word in a log is not "not listening").
 */
export function listenForPushes(
  config: ClientConfig,
  schema: string,
  onHint: () => void,
  onError: (error: unknown) => void,
  onListening: () => void,
): PushListener {
  let closed = false;
  let client: PgClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  /** A failure was told since listening last worked. */
  let failed = false;
  const again = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void listen();
    }, RELISTEN_MS);
    retry.unref();
  };
  async function listen(): Promise<void> {
    const next = new PgClient({ ...config, keepAlive: true });
    client = next;
    let gone = false;
    /** The connection's end, whichever way it is heard first (its error, its end, a failed connect). */
    const lose = (error: unknown) => {
      if (gone) return;
      gone = true;
      if (client === next) client = undefined;
      next.connection.stream.destroy();
      if (closed) return;
      failed = true;
      onError(error);
      again();
    };
    next.on('notification', () => onHint());
    next.on('error', lose);
    next.on('end', () => lose(new Error('the listening connection was closed')));
    try {
      await next.connect();
      await next.query(`LISTEN ${escapeIdentifier(pushChannelOf(schema))}`);
      if (closed) {
        await next.end();
        return;
      }
      if (failed) {
        failed = false;
        onListening();
      }
    } catch (error) {
      lose(error);
    }
  }
  void listen();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
