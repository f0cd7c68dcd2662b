import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';

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
const MAX_SECRETS = 500;

const secrets = new Set<string>();
let secretPattern: RegExp | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function rebuildPattern(): void {
  const values = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
  secretPattern = values.length === 0 ? undefined : new RegExp(values.join('|'), 'g');
}

/**
 * Registers a secret value (client secret, access token, webhook secret, git token) so it
 * is replaced by [REDACTED] in every log line and in `redactText`. Also registers the forms
 * it takes inside JSON strings and URL-encoded bodies. Empty and very short values are ignored.
 */
export function registerSecret(value: string | undefined | null): void {
  if (value === undefined || value === null || value.length < MIN_SECRET_LENGTH) return;
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  let added = false;
  for (const form of forms) {
    if (secrets.has(form)) continue;
    secrets.add(form);
    added = true;
  }
  if (!added) return;
  while (secrets.size > MAX_SECRETS) {
    const oldest = secrets.values().next().value;
    if (oldest === undefined) break;
    secrets.delete(oldest);
  }
  rebuildPattern();
}

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  secrets.clear();
  secretPattern = undefined;
}

const BEARER = /\b(Bearer)\s+[\w.~+/=-]{8,}/gi;
const SECRET_PARAMETER = /\b(client_secret|access_token|token|password)=[^&\s"']+/gi;

/** `text` with registered secrets, bearer tokens and secret form parameters replaced by [REDACTED]. */
export function redactText(text: string): string {
  let result = secretPattern ? text.replace(secretPattern, CENSOR) : text;
  result = result.replace(BEARER, `$1 ${CENSOR}`);
  return result.replace(SECRET_PARAMETER, `$1=${CENSOR}`);
}

/** A stream that scrubs registered secrets from each line before passing it on. */
export function scrubbingStream(destination: DestinationStream): DestinationStream & { flush(): void } {
  return {
    write(line: string): void {
      destination.write(redactText(line));
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
