import path from 'node:path';
import { UsageError } from '../errors.js';
import { closestKey } from '../manifest/suggest.js';
import { isSecretParameter, maskSecretParameters } from '../text/safe-url.js';
import { quoted } from '../text/safe-text.js';

/** The schema a PostgreSQL URL without `?schema=` uses. */
export const DEFAULT_PG_SCHEMA = 'audiencectl';

/**
 * Where a state store lives: a directory (the default store), or a PostgreSQL
 * database and schema (`postgres://user@host:5432/db?schema=audiencectl`).
 */
export type StateLocation =
  | { kind: 'dir'; dir: string }
  | {
      kind: 'postgres';
      /** The URL as given, minus `schema`: may hold a password, so never print it. */
      url: string;
      schema: string;
      /** The URL without its password, for messages, logs and /status. */
      display: string;
    };

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The `sslmode` values node-postgres (pg-connection-string) acts on. Any other (a typo,
 * libpq's `allow`) turned TLS on with full verification, and failed later with the
 * server's "does not support SSL connections", naming no parameter.
 */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** Refuses an `sslmode` node-postgres does not know, naming it (not the URL: it may hold a password). */
function checkSslMode(url: URL, flag: string): void {
  for (const mode of url.searchParams.getAll('sslmode')) {
    if (SSL_MODES.includes(mode)) continue;
    const shown = /^[A-Za-z-]{1,32}$/.test(mode) ? `"${mode}"` : '(the value is not shown)';
    throw new UsageError(
      'STATE_BAD_URL',
      `${flag}: the URL's sslmode ${shown} is not one audiencectl's PostgreSQL client knows: give ${SSL_MODES.slice(0, -1).join(', ')} or ${SSL_MODES.at(-1) ?? ''}`,
    );
  }
}

/**
 * A password written into the URL without percent-encoding, holding `/`, `?` or `#`, ends
 * the URL's host where it holds one: `postgres://app:2024/Summer@db/x` is read as host
 * `app`, port 2024, and a path holding the rest of the password, which no display can
 * tell from a path and which every message then printed. Such a URL has an `@` after the
 * end of its host (in the path, query or fragment), where none belongs (a user name,
 * database or parameter holding one writes it %40). Refused, naming where the URL came
 * from and never any part of it.
 */
function refuseUnencodedUserInfo(text: string, flag: string): void {
  const start = text.indexOf('://') + 3;
  const rest = text.slice(start);
  const hostEnd = rest.search(/[/?#]/);
  if (hostEnd < 0 || !rest.slice(hostEnd).includes('@')) return;
  throw new UsageError(
    'STATE_BAD_URL',
    `${flag}: the URL holds "@" after its host: a password holding / ? or # must be percent-encoded ` +
      '(%2F %3F %23, and @ as %40), or given by --state-password-file (AUDIENCECTL_STATE_PASSWORD_FILE) or PGPASSWORD; an "@" in a parameter value is written %40 too; the URL is not shown',
  );
}

/**
 * node-postgres reads `?port=` over the URL's port, and failed on one that is no number
 * with "Invalid port" and a stack trace. Refused here, naming it (the value only when it
 * is short and plain: it is no secret, but may be a pasted fragment of one).
 */
function checkPortParameter(url: URL, flag: string): void {
  for (const port of url.searchParams.getAll('port')) {
    if (port === '') continue; // node-postgres ignores it
    if (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535) continue;
    const shown = /^[\w.-]{1,16}$/.test(port) ? `"${port}"` : '(the value is not shown)';
    throw new UsageError(
      'STATE_BAD_URL',
      `${flag}: the URL's port parameter ${shown} is not a port (a number from 1 to 65535)`,
    );
  }
}

export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text.trim());
}

/**
 * The URL without its user information and without secret query parameters (`?password=`,
 * `?sslpassword=`); safe to print. The user name went too: it showed a login in every message
 * naming the store (a lock refusal, init's lines, CI logs), where docs/state.md promises "without
 * its user and password". The authentication refusals name the refused user themselves
 * (pg-errors.ts). A `?password=` is left out as the user info's password is, not shown as
 * `?password=***`: the store is named the same whichever way its password was given.
 */
export function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.password = '';
  copy.username = '';
  for (const name of [...copy.searchParams.keys()])
    if (isSecretParameter(name)) copy.searchParams.delete(name);
  // What is left that may look secret (a fragment's pair) is masked still.
  return maskSecretParameters(copy.href);
}

/** `scheme://` at the start: a URL, never a directory a user meant (`mysql://`, `file:///srv/state`). */
const OTHER_URL = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Parses `--state`: a `postgres://` or `postgresql://` URL, else a directory path. */
export function parseStateLocation(text: string, flag = '--state'): StateLocation {
  if (!isPostgresUrl(text)) {
    const scheme = OTHER_URL.exec(text.trim())?.[1];
    // As a path it would be a directory named "mysql:" holding a new, empty store.
    if (scheme !== undefined)
      throw new UsageError(
        'STATE_BAD_URL',
        `${flag}: ${scheme}:// is not a state store audiencectl knows: give a directory, or a postgres:// URL`,
      );
    return { kind: 'dir', dir: path.resolve(text) };
  }
  refuseUnencodedUserInfo(text.trim(), flag);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    // Do not echo the text: it may hold a password.
    throw new UsageError('STATE_BAD_URL', `${flag} is not a valid postgres:// URL`);
  }
  // A parameter given twice (`?schema=a&schema=b`, one appended to a URL that had it) has no
  // one reading: audiencectl took the first `schema`, node-postgres takes the last of the
  // others (it copies the parameters into its settings in order). Refused, naming it.
  for (const name of new Set(url.searchParams.keys())) {
    const count = url.searchParams.getAll(name).length;
    if (count > 1)
      throw new UsageError(
        'STATE_BAD_URL',
        `${flag}: the URL gives its parameter ${quoted(name)} ${count} times; give it once`,
      );
  }
  // `?shema=prod` (or `?Schema=`) would be passed on, unread, and the default schema used:
  // another store than the one meant.
  for (const name of url.searchParams.keys()) {
    if (name !== 'schema' && closestKey(name, ['schema']) !== undefined)
      throw new UsageError(
        'STATE_BAD_URL',
        `${flag}: the URL's parameter ${quoted(name)} is not one audiencectl reads; did you mean "schema"? (without it the schema is "${DEFAULT_PG_SCHEMA}")`,
      );
  }
  checkSslMode(url, flag);
  checkPortParameter(url, flag);
  const schema = url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new UsageError(
      'STATE_BAD_URL',
      `${flag}: schema ${quoted(schema)} must be lowercase letters, digits and "_" (at most 63, not starting with a digit)`,
    );
  }
  if (url.pathname.length <= 1) {
    throw new UsageError('STATE_BAD_URL', `${flag} must name a database: postgres://user@host:5432/<db>`);
  }
  url.searchParams.delete('schema');
  const display = new URL(displayUrl(url));
  display.searchParams.set('schema', schema);
  return { kind: 'postgres', url: url.href, schema, display: display.href };
}

/** How to name the store in a message. */
export function describeLocation(location: StateLocation): string {
  return location.kind === 'dir' ? location.dir : location.display;
}
