import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { outputFailed } from './output-failure.js';
import { escapeJsonText } from './text/safe-text.js';
import { CENSOR, redactText } from './text/secrets.js';

// The secret registry lives in text/secrets.ts (reading the configuration registers
// secrets without loading pino); its API stays importable from here.
export { clearRegisteredSecrets, redactText, registerSecret, type SecretLifetime } from './text/secrets.js';
export { componentLogger } from './component-logger.js';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

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

/**
 * Standard error, written by pino's own stream (not process.stderr). pino hears its EPIPE and
 * re-emits any other write error: with no listener, a log line that could not be written (a
 * full disk, a file size limit) threw from the logging call, and the controller died of an
 * unhandled rejection mid-pass. It stops as for an unwritable standard error instead.
 */
function standardError(): DestinationStream {
  const stream = pino.destination({ dest: 2, sync: true });
  stream.on('error', (error: NodeJS.ErrnoException) => outputFailed(error, 'log'));
  return stream;
}

/** The root logger: JSON lines, secrets redacted by key path and by value. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? standardError();
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

/** A logger that writes nothing: the default of library code given no logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
