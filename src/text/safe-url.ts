/**
 * URLs as they may be shown: in messages, logs, /status. A URL given by a user can carry
 * credentials (`https://user:token@host`, `?client_secret=...`, a signed `?sig=...`);
 * every place that prints a URL goes through `safeUrl`, so none of them has to remember.
 */

/** What replaces a masked query or fragment value. */
export const MASK = '***';

// Names compared lower-cased, with `-` read as `_`.
const SECRET_NAMES = new Set([
  'sig',
  'key',
  'pwd',
  'pass',
  'code',
  'auth',
  'apikey',
  'api_key',
  'x_api_key',
  'session',
  'sessionid',
  'session_id',
  // A Java servlet host's session (Bitbucket Data Center, Gerrit), in a path's `;jsessionid=`.
  'jsessionid',
]);
// Any name containing one of these (client_secret, access_token, x-amz-signature, ...).
const SECRET_PARTS = ['secret', 'token', 'password', 'passwd', 'signature', 'credential', 'private'];

/** True for query parameter names whose values are credentials more often than not. */
export function isSecretParameter(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // A malformed escape: judge the raw name.
  }
  const normal = decoded.trim().toLowerCase().replace(/-/g, '_');
  return SECRET_NAMES.has(normal) || SECRET_PARTS.some((part) => normal.includes(part));
}

/** A query or fragment parameter's name: what precedes its `=` (the whole pair if none). */
function parameterName(pair: string): string {
  const equals = pair.indexOf('=');
  return equals < 0 ? pair : pair.slice(0, equals);
}

// Pairs end at `&` or `;`: many servers read `;` as `&` (`?ref=main;token=x`), so a secret
// after either must be found, masked and refused alike.
const PAIR = /[^&;]+/g;

/** `a=1&token=x` with the values of secret-looking names masked; order and spelling kept. */
function maskParameters(query: string): string {
  return query.replace(PAIR, (pair) => {
    const name = parameterName(pair);
    return name !== pair && isSecretParameter(name) ? `${name}=${MASK}` : pair;
  });
}

/**
 * The `;name=value` parameters of a path (`/scm/acme;jsessionid=…/a.git;v=1`), each segment's
 * after its first `;`, the `;` included. git sends the path as written with every request and
 * keeps it in the clone's config; servlet hosts read `;jsessionid=` there as a session. Their
 * pairs split as a query's.
 */
const PATH_PARAMETERS = /;[^/]*/g;

const SCHEME = /^([a-z][a-z0-9+.-]*:\/\/)/i;

/** Where the authority (`user:pass@host:port`) of `text` ends: at the first `/`, `?`, `#` or `\`. */
function authorityEnd(text: string, start: number): number {
  const rest = text.slice(start).search(/[/?#\\]/);
  return rest < 0 ? text.length : start + rest;
}

/**
 * Whether `text` may be a URL whose user info the parser reads as host and port: a password
 * written without percent-encoding, digits (or nothing) then `/`, `?` or `#`
 * (`http://user:2024/rest@proxy:3128`: host `user`, port 2024, the rest of the password in
 * the path). Its host ends in `:port`, holds no `@`, and an `@` follows it. (A URL with a
 * port and an `@` in its path reads so too; shown, it loses what precedes that `@`.)
 */
export function userInfoMisread(text: string): boolean {
  const scheme = SCHEME.exec(text)?.[1];
  if (scheme === undefined) return false;
  const end = authorityEnd(text, scheme.length);
  const authority = text.slice(scheme.length, end);
  return !authority.includes('@') && /:\d*$/.test(authority) && text.includes('@', end);
}

/**
 * Removes user info. A URL the WHATWG parser reads is cut where the parser says; one it
 * cannot read (`http://u:pa/ss@host`, `https://u:pa?ss@host`: a `?` or `#` in the password
 * ends the authority early), or reads with a password's start as its port
 * (`http://u:2024/ss@host`, userInfoMisread), loses everything up to its last `@`: no
 * unencoded `/`, `?` or `#` in a password can hide the rest of it. (An `@` in such a URL's
 * query costs the display what precedes it; a password shown would cost more.)
 */
function withoutUserInfo(text: string): string {
  const scheme = SCHEME.exec(text)?.[1];
  if (scheme === undefined) return text;
  const start = scheme.length;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  const misread = parsed === undefined || userInfoMisread(text);
  const at = text.lastIndexOf('@', misread ? text.length : authorityEnd(text, start) - 1);
  if (at < start) return text;
  if (!misread && parsed?.username === '' && parsed.password === '') return text;
  return `${scheme}${text.slice(at + 1)}`;
}

/**
 * `url` fit to print: no user info, and the values of secret-looking query and fragment
 * parameters (`client_secret`, `token`, `access_token`, `password`, `sig`, `signature`,
 * `key`, ...) replaced by `***`. Everything else is kept as written, so the operator
 * still recognises the URL they configured. Accepts any text; never throws.
 */
export function safeUrl(url: string): string {
  return maskSecretParameters(withoutUserInfo(url));
}

/** `text` cut into what precedes its query, its query and its fragment (each without its mark). */
function urlParts(text: string): { base: string; query?: string; fragment?: string } {
  const hash = text.indexOf('#');
  const beforeHash = hash < 0 ? text : text.slice(0, hash);
  const question = beforeHash.indexOf('?');
  return {
    base: question < 0 ? beforeHash : beforeHash.slice(0, question),
    ...(question < 0 ? {} : { query: beforeHash.slice(question + 1) }),
    ...(hash < 0 ? {} : { fragment: text.slice(hash + 1) }),
  };
}

/**
 * `url` with the values of secret-looking query and fragment parameters masked, user
 * info kept: for a URL whose password was already removed and whose user name helps
 * (a database URL, `postgres://audiencectl@db/...`).
 */
export function maskSecretParameters(text: string): string {
  const { base, query, fragment } = urlParts(text);
  return [
    base.replace(PATH_PARAMETERS, (parameters) => maskParameters(parameters)),
    query === undefined ? '' : `?${maskParameters(query)}`,
    fragment === undefined ? '' : `#${maskParameters(fragment)}`,
  ].join('');
}

/**
 * The first secret-looking parameter of `url`'s path (a `;name=value` one), query or fragment,
 * where it is and its name as written; undefined when there is none. The same pairs as the
 * masking reads, so that what a log would mask is what a refusal finds.
 */
export function secretParameterIn(
  url: string,
): { part: 'path' | 'query' | 'fragment'; name: string } | undefined {
  const { base, query, fragment } = urlParts(url);
  // Only a pair with a value: a segment's `;tokens` carries nothing.
  const inPath = (base.match(PATH_PARAMETERS) ?? [])
    .flatMap((parameters) => parameters.match(PAIR) ?? [])
    .filter((pair) => pair.includes('='))
    .map(parameterName)
    .find(isSecretParameter);
  if (inPath !== undefined) return { part: 'path', name: inPath };
  for (const [part, text] of [
    ['query', query],
    ['fragment', fragment],
  ] as const) {
    const name = (text?.match(PAIR) ?? []).map(parameterName).find(isSecretParameter);
    if (name !== undefined) return { part, name };
  }
  return undefined;
}

// A URL inside free text: a scheme, then everything up to a blank or a quote.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** `text` with every URL in it passed through `safeUrl` (log lines, error messages). */
export function safeUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => safeUrl(url));
}
