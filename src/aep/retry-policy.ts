import { parseHttpDate } from './http-date.js';

/** How failed attempts are repeated; every field has a default (DEFAULT_RETRY). */
export type RetryPolicy = {
  /** Retries after the first attempt. Default 4. */
  limit: number;
  /** First backoff ceiling, in ms; it doubles per retry (full jitter: a random delay up to it). Default 300. */
  baseDelayMs: number;
  /** Largest backoff ceiling, in ms. Default 20000. */
  maxDelayMs: number;
  /** A `Retry-After` above this is not waited for: the call fails with `retryAfterMs` set. Default 60000. */
  maxRetryAfterMs: number;
  /** How long a 429 without `Retry-After` pauses the sandbox, in ms. Default 1000. */
  rateLimitPauseMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = {
  limit: 4,
  baseDelayMs: 300,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
  rateLimitPauseMs: 1000,
};

/** What is known about a failed attempt. */
export type AttemptFailure = {
  method: string;
  /** HTTP status, when an answer came. */
  status?: number | undefined;
  /** Node/got error code when no answer came, e.g. ECONNRESET, ETIMEDOUT. */
  errorCode?: string | undefined;
  /** For timeouts: the phase that timed out (lookup, connect, secureConnect, socket, send, response, request). */
  timeoutEvent?: string | undefined;
  retryAfterMs?: number | undefined;
};

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** Methods whose repetition cannot do harm here: PATCH replaces what it lists, DELETE of a deleted audience is a 404. */
const REPEATABLE = new Set(['GET', 'HEAD', 'PATCH', 'DELETE', 'PUT']);

/** Errors that prove the request never reached the server. */
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
]);
const NEVER_SENT_TIMEOUTS = new Set(['lookup', 'connect', 'secureConnect']);

/** Transport failures worth another attempt (a repeatable method, or a request that never left). */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EADDRINUSE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  'UND_ERR_SOCKET',
]);

export function isRepeatable(method: string): boolean {
  return REPEATABLE.has(method.toUpperCase());
}

export function isNetworkFailure(failure: AttemptFailure): boolean {
  return (
    failure.status === undefined && failure.errorCode !== undefined && NETWORK_CODES.has(failure.errorCode)
  );
}

/** The request provably never left: nothing can have changed on the server. */
export function provesNotSent(failure: AttemptFailure): boolean {
  if (failure.status !== undefined || failure.errorCode === undefined) return false;
  if (NEVER_SENT_CODES.has(failure.errorCode)) return true;
  return failure.errorCode === 'ETIMEDOUT' && NEVER_SENT_TIMEOUTS.has(failure.timeoutEvent ?? '');
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * May this failure be repeated? 429: always (the request was refused, not applied). 5xx and
 * network errors: only for repeatable methods; a POST only when it provably never left.
 */
export function isRetryable(failure: AttemptFailure): boolean {
  if (failure.status === 429) return true;
  if (failure.status !== undefined) return isRepeatable(failure.method) && isRetryableStatus(failure.status);
  if (!isNetworkFailure(failure)) return false;
  return isRepeatable(failure.method) || provesNotSent(failure);
}

/**
 * May the failed call have changed something? Only mutations can, and only when the answer
 * does not settle it: a 5xx, or no answer after the request may have left.
 */
export function isOutcomeUnknown(failure: AttemptFailure): boolean {
  if (failure.method.toUpperCase() === 'GET' || failure.method.toUpperCase() === 'HEAD') return false;
  if (failure.status !== undefined) return failure.status >= 500;
  return !provesNotSent(failure);
}

/** Exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^(retry-1))]. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(random() * ceiling);
}

/**
 * The wait a `Retry-After` of `ms` asks for; undefined when it asks for none (`0`, or a date
 * already past), which is read as no Retry-After at all: taken as a wait of 0, a gateway that
 * answers its 429s so had every retry of a call sent within milliseconds into the throttle, and
 * the call failed where a 429 without one (a pause of `rateLimitPauseMs`) went through.
 */
export function askedWait(ms: number | undefined): number | undefined {
  return ms === undefined || ms <= 0 ? undefined : ms;
}

/**
 * The decision after failed attempt number `retry` (1 = the first retry would follow).
 * A `Retry-After` that asks for a wait is honoured as the delay (for 429 the sandbox is paused
 * for it as well, by the caller); above `maxRetryAfterMs` the call gives up. One asking for no
 * wait is as none: a 429's pause, or the backoff.
 */
export function decideRetry(
  failure: AttemptFailure,
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (retry > policy.limit || !isRetryable(failure)) return { retry: false };
  const retryAfter = askedWait(failure.retryAfterMs);
  if (retryAfter !== undefined) {
    if (retryAfter > policy.maxRetryAfterMs) return { retry: false };
    return { retry: true, delayMs: retryAfter };
  }
  if (failure.status === 429) return { retry: true, delayMs: policy.rateLimitPauseMs };
  return { retry: true, delayMs: Math.max(backoffDelay(retry, policy, random), 1) };
}

/**
 * An answer's `Retry-After`, in ms. An HTTP date is counted from the answer's own `Date`
 * header when it has one: both are the service's clock, so a local clock days off AEP's
 * neither retries at once nor gives up on a one-second wait (from local now otherwise).
 */
export function retryAfterOf(
  headers: Record<string, string | string[] | undefined> | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const date = headers?.['date'];
  const sent = parseHttpDate((Array.isArray(date) ? date[0] : date) ?? '');
  return parseRetryAfter(headers?.['retry-after'], sent ?? nowMs);
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const header = (Array.isArray(value) ? value[0] : value)?.trim();
  if (header === undefined || header === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(header)) return Math.round(Number(header) * 1000);
  // An HTTP date in one of its three forms, always GMT (http-date.ts), never Date.parse's reading.
  const date = parseHttpDate(header);
  if (date === undefined) return undefined;
  return Math.max(0, date - nowMs);
}
