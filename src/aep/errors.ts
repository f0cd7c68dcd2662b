import { AudiencectlError } from '../errors.js';

/** Stable codes of AepError (`error.code`); the platform's own code is `platformCode`. */
export type AepErrorCode =
  | 'AEP_BAD_REQUEST'
  | 'AEP_UNAUTHORIZED'
  | 'AEP_FORBIDDEN'
  | 'AEP_NOT_FOUND'
  | 'AEP_CONFLICT'
  | 'AEP_UNPROCESSABLE'
  | 'AEP_RATE_LIMITED'
  | 'AEP_SERVER_ERROR'
  | 'AEP_HTTP_ERROR'
  | 'AEP_NETWORK'
  | 'AEP_TIMEOUT'
  | 'AEP_ABORTED'
  | 'AEP_BAD_RESPONSE'
  /** An error answer that is not the service's (a 404 page of a proxy or web server): see foreign-answer.ts. */
  | 'AEP_UNEXPECTED_RESPONSE'
  | 'AEP_AUTH'
  /** Not sent: the service asked the sandbox for a wait longer than retry.maxRetryAfterMs (asked-waits.ts). */
  | 'AEP_HELD';

/** One broken rule the service listed, e.g. `{ path: 'fields[0].type', message: '...' }`. */
export type AepErrorDetail = { path?: string; message: string };

export type AepErrorInit = {
  code: AepErrorCode;
  message: string;
  status?: number | undefined;
  platformCode?: string | undefined;
  requestId?: string | undefined;
  outcomeUnknown?: boolean | undefined;
  retryAfterMs?: number | undefined;
  sandbox?: string | undefined;
  endpoint?: string | undefined;
  method?: string | undefined;
  attempts?: number | undefined;
  details?: readonly AepErrorDetail[] | undefined;
  endedWith?: AepError | undefined;
  earlierUnknown?: AepError | undefined;
  /** A plain, secret-free error: never got's (its options carry headers and bodies). */
  cause?: unknown;
};

/**
 * A failed call to the External Audiences API. The message says what to do; the fields
 * say what happened, for the executor to decide (retry later, resolve from the intent,
 * treat the service's 404 on delete as gone: `isNotFoundAnswer`, ...).
 */
export class AepError extends AudiencectlError {
  override readonly name: string = 'AepError';
  /** HTTP status of the last answer; undefined when none came (network error, timeout). */
  readonly status: number | undefined;
  /** The platform error code, e.g. `100950-409`, when the body carried one. */
  readonly platformCode: string | undefined;
  /** The `x-request-id` response header, for Adobe support. */
  readonly requestId: string | undefined;
  /**
   * true when a mutating call (POST, PATCH, DELETE) may or may not have taken effect: a
   * 5xx, a lost response, a timeout after the request was sent, or an unreadable success.
   * The caller resolves it (the intent record, a lookup) instead of repeating blindly.
   */
  readonly outcomeUnknown: boolean;
  /** What the last `Retry-After` asked for, in ms. */
  readonly retryAfterMs: number | undefined;
  readonly sandbox: string | undefined;
  /** The operation, e.g. `createAudience`. */
  readonly endpoint: string | undefined;
  readonly method: string | undefined;
  /** HTTP attempts made (1 = no retry). A 404 on a DELETE after attempts > 1 most likely means the earlier attempt deleted it. */
  readonly attempts: number | undefined;
  /** Rules the service said the request broke (validation errors). */
  readonly details: readonly AepErrorDetail[];
  /**
   * An outcome kept unknown (`outcomeUnknown`, after a retry of an attempt that reached the
   * service with its outcome unknown): the failure that ended the call. The service's own 404
   * there (a PATCH's audience not found now) takes nothing back, but is worth saying as such.
   */
  readonly endedWith: AepError | undefined;
  /**
   * The service's own 404 that ended a DELETE after an attempt of unknown outcome (a 5xx, no
   * answer): that attempt's error. The 404 settles it only where it says the audience is gone;
   * a caller that finds it does not (deleteAudience: a fixed spelling's 404 while the runs list
   * answers) keeps the outcome unknown from it (delete-audience.ts keptIfUnknown).
   */
  readonly earlierUnknown: AepError | undefined;

  constructor(init: AepErrorInit) {
    super(init.code, init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.platformCode = init.platformCode;
    this.requestId = init.requestId;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.retryAfterMs = init.retryAfterMs;
    this.sandbox = init.sandbox;
    this.endpoint = init.endpoint;
    this.method = init.method;
    this.attempts = init.attempts;
    this.details = init.details ?? [];
    this.endedWith = init.endedWith;
    this.earlierUnknown = init.earlierUnknown;
  }
}

/** What `error` was made with, for a copy that changes some of it (its fields are read-only). */
export function aepErrorInit(error: AepError): AepErrorInit {
  return {
    code: error.code as AepErrorCode,
    message: error.message,
    status: error.status,
    platformCode: error.platformCode,
    requestId: error.requestId,
    outcomeUnknown: error.outcomeUnknown,
    retryAfterMs: error.retryAfterMs,
    sandbox: error.sandbox,
    endpoint: error.endpoint,
    method: error.method,
    attempts: error.attempts,
    details: error.details,
    endedWith: error.endedWith,
    earlierUnknown: error.earlierUnknown,
    cause: error.cause,
  };
}

/**
 * IMS would not issue a token: wrong client id or secret, a scope the client lacks, or IMS
 * unreachable. The message names the setting to check, never the secret.
 */
export class AepAuthError extends AepError {
  override readonly name: string = 'AepAuthError';
  /** IMS's `error` field, e.g. `invalid_client`. */
  readonly imsError: string | undefined;

  constructor(init: Omit<AepErrorInit, 'code'> & { imsError?: string | undefined }) {
    super({ ...init, code: 'AEP_AUTH' });
    this.imsError = init.imsError;
  }
}

/**
 * The service's own 404 that ends a DELETE as "no such audience": at both spellings of its path,
 * or at a fixed spelling with the runs list a 404 too (deleteAudience). Still AEP_NOT_FOUND (the
 * first 404's facts and message), with the URLs the DELETE went to: a base URL whose path the
 * service does not serve (`/data/core/aiss`) gets the same JSON 404 from AEP's gateway, so the
 * apply reads the audience again before it believes it (steps/delete.ts), and names these URLs
 * when the service still lists it.
 */
export class AepDeleteNotFoundError extends AepError {
  override readonly name: string = 'AepDeleteNotFoundError';
  /** The DELETE URLs answered 404, as they may be shown (safeUrl). */
  readonly urls: readonly string[];

  constructor(notFound: AepError, urls: readonly string[]) {
    super(aepErrorInit(notFound));
    this.urls = urls;
  }
}

/**
 * The service said it has no such audience, operation or run: a 404 whose body is a JSON
 * object (AEP_NOT_FOUND). A 404 of any other body is a failed call (AEP_UNEXPECTED_RESPONSE),
 * and so is every other failure: never read as "gone".
 */
export function isNotFoundAnswer(error: unknown): boolean {
  return error instanceof AepError && error.code === 'AEP_NOT_FOUND';
}

/** A secret-free stand-in for a transport error, kept as `cause`. */
export function plainCause(error: unknown, redact: (text: string) => string): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = new Error(redact(error.message));
  cause.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(cause, { code });
  cause.stack = `${cause.name}: ${cause.message}`;
  return cause;
}
