import type { ClientBase, Pool } from 'pg';
import { StateError } from '../errors.js';

/**
 * The oldest server the schema works on: migration 6's trigger (meta_nonce) calls
 * gen_random_uuid(), built in from PostgreSQL 13. On 12 the migration itself passes (a PL/pgSQL
 * body is resolved when it first runs), and every later write of `meta` fails.
 */
const MIN_SERVER_VERSION_NUM = 130_000;

/** `server_version_num` (120017 for 12.17) and `server_version` as the server reports them. */
type ServerVersion = { num: number; text: string };

/** Refuses a server older than MIN_SERVER_VERSION_NUM; `display` names the store (no password). */
export function assertServerVersion(version: ServerVersion, display: string): void {
  if (version.num >= MIN_SERVER_VERSION_NUM) return;
  // The text may carry the build (`12.17 (Debian 12.17-1.pgdg120+1)`): the number is enough.
  const shown = version.text.split(' ')[0] ?? version.text;
  throw new StateError(
    'STATE_SERVER_TOO_OLD',
    `PostgreSQL state ${display}: the server runs PostgreSQL ${shown}, and audiencectl needs 13 or later (its schema calls gen_random_uuid(), built in from 13); upgrade the server, or point the state at one running 13 or later`,
  );
}

/** The version of the server `client` is connected to. Needs no privilege. */
export async function serverVersion(client: ClientBase | Pool): Promise<ServerVersion> {
  const { rows } = await client.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  const row = rows[0];
  return { num: Number(row?.num ?? 0), text: row?.text ?? '' };
}
