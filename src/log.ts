import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { escapeJsonText } from './text/safe-text.js';
import { safeUrlsIn } from './text/safe-url.js';
import { base64Cores, coresPattern, redactBase64, textForms } from './text/secret-forms.js';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const CENSOR = '[REDACTED]';

/**
 * Keys whose values never reach a log line, wherever a component puts them. Known secret
 * values are also scrubbed from every line (see `registerSecret`): paths catch secrets
 * under a known name, the registry catches them anywhere else (a message, an error, a URL).
 */
export const REDACT_PATHS: readonly string[] = [
  'clientSecret',
  'client_secret',
  'accessToken',
  'access_token',
  'token',
  'authorization',
  'Authorization',
  'webhookSecret',
  'secret',
  'password',
  'gitToken',
  'privateKey',
  'headers.authorization',
  'headers.Authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'credentials.clientSecret',
  '*.clientSecret',
  '*.client_secret',
  '*.accessToken',
  '*.access_token',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.webhookSecret',
  '*.secret',
  '*.password',
  '*.gitToken',
  '*.privateKey',
  '*.headers.authorization',
  '*.credentials.clientSecret',
];

/** Shorter values would scrub ordinary words; nobody's real secret is that short. */
const MIN_SECRET_LENGTH = 6;
/** Access tokens are registered as they are issued; old ones are long expired by then. */
const MAX_TOKENS = 500;

/**
 * `process`: a secret configured for the life of the process (client secret, git token,
 * webhook secret, HTTP token, database password): pinned, never dropped, and also
 * scrubbed inside base64 (an echoed Basic-auth header). `token`: a short-lived credential
 * issued at run time (an access token): kept among the last MAX_TOKENS, so a controller
 * that renews tokens for months holds a bounded list, and the pinned ones stay.
 */
export type SecretLifetime = 'process' | 'token';

const pinned = new Set<string>();
const tokens = new Set<string>();
/** The pinned secrets as given (their base64 cores are computed from these). */
const pinnedRaw = new Set<string>();
let secretPattern: RegExp | undefined;
let base64Pattern: RegExp | undefined;
/** Patterns are rebuilt when next used, not on every registration. */
let stale = false;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function currentPatterns(): void {
  if (!stale) return;
  stale = false;
  const values = [...new Set([...pinned, ...tokens])].sort((a, b) => b.length - a.length).map(escapeRegExp);
  secretPattern = values.length === 0 ? undefined : new RegExp(values.join('|'), 'g');
  base64Pattern = coresPattern([...pinnedRaw].flatMap(base64Cores));
}

/**
 * Registers a secret value so it is replaced by [REDACTED] in every log line and in
 * `redactText`, in the forms it takes inside JSON strings and URL-encoded bodies too.
 * Empty and very short values are ignored. Secrets configured at start-up keep the
 * default lifetime `process`; access tokens are registered with `token`.
 */
export function registerSecret(value: string | undefined | null, lifetime: SecretLifetime = 'process'): void {
  if (value === undefined || value === null || value.length < MIN_SECRET_LENGTH) return;
  const target = lifetime === 'process' ? pinned : tokens;
  let added = false;
  for (const form of textForms(value)) {
    if (pinned.has(form) || target.has(form)) continue;
    target.add(form);
    added = true;
  }
  if (lifetime === 'process' && !pinnedRaw.has(value)) {
    pinnedRaw.add(value);
    added = true;
  }
  if (!added) return;
  while (tokens.size > MAX_TOKENS) {
    const oldest = tokens.values().next().value;
    if (oldest === undefined) break;
    tokens.delete(oldest);
  }
  stale = true;
}

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  pinned.clear();
  pinnedRaw.clear();
  tokens.clear();
  secretPattern = undefined;
  base64Pattern = undefined;
  stale = false;
}

const BEARER = /\b(Bearer)\s+[\w.~+/=-]{8,}/gi;
const SECRET_PARAMETER = /\b(client_secret|access_token|token|password)=[^&\s"']+/gi;

/**
 * `text` with registered secrets (also inside base64, for the pinned ones), bearer
 * tokens, secret form parameters, and URL user info and secret query values replaced.
 */
export function redactText(text: string): string {
  currentPatterns();
  let result = secretPattern ? text.replace(secretPattern, CENSOR) : text;
  result = redactBase64(result, base64Pattern, CENSOR);
  result = result.replace(BEARER, `$1 ${CENSOR}`);
  result = result.replace(SECRET_PARAMETER, `$1=${CENSOR}`);
  return safeUrlsIn(result);
}

/**
 * A stream that scrubs registered secrets from each line before passing it on, and
 * writes the characters JSON leaves raw (bidi, C1, zero-width) as `\uXXXX`, so a log
 * viewed in a terminal or a browser shows them instead of acting on them.
 */
export function scrubbingStream(destination: DestinationStream): DestinationStream & { flush(): void } {
  return {
    write(line: string): void {
      destination.write(escapeJsonText(redactText(line)));
    },
    // logger.flush() reaches the real destination (SonicBoom buffers when asynchronous).
    flush(): void {
      const flushable = destination as DestinationStream & { flush?: () => void };
      flushable.flush?.();
    },
  };
}

/** got and node errors carry request options (headers, bodies): a log line keeps only what helps. */
const ERROR_NOISE = new Set(['options', 'request', 'response', 'timings', 'input', 'config']);

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of Object.keys(serialized)) {
    if (ERROR_NOISE.has(key)) delete serialized[key];
  }
  return serialized;
}

export type LoggerOptions = {
  /** Default `info`, or LOG_LEVEL from the environment. */
  level?: LogLevel | undefined;
  /** Where lines go. Default standard error (standard output carries plans and reports). */
  destination?: DestinationStream | undefined;
  /** Bound to every line, e.g. `{ service: 'audiencectl' }`. */
  base?: Record<string, unknown> | undefined;
};

/** The root logger: JSON lines, secrets redacted by key path and by value. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level: options.level ?? envLevel() ?? 'info',
      base: options.base ?? null,
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      serializers: { err: serializeError, error: serializeError },
    },
    scrubbingStream(destination),
  );
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function isLevel(value: string | undefined): value is LogLevel {
  return LEVELS.some((level) => level === value);
}

function envLevel(): LogLevel | undefined {
  const level = process.env['LOG_LEVEL'];
  return isLevel(level) ? level : undefined;
}

/**
 * One child logger per component, with its context bound (sandbox, key, revision, ...).
 * A parent that already names a component keeps its name (pino would write the key twice).
 */
export function componentLogger(
  parent: Logger,
  component: string,
  bindings: Record<string, unknown> = {},
): Logger {
  if ('component' in parent.bindings()) return parent.child(bindings);
  return parent.child({ component, ...bindings });
}

/** A logger that writes nothing: the default of library code given no logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
