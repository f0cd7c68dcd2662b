import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  decideRetry,
  DEFAULT_RETRY,
  isOutcomeUnknown,
  isRetryable,
  parseRetryAfter,
  provesNotSent,
  type AttemptFailure,
} from './retry-policy.js';

const policy = { ...DEFAULT_RETRY, limit: 3, baseDelayMs: 100, maxDelayMs: 1000 };

describe('which failures are retried', () => {
  const cases: Array<[string, AttemptFailure, boolean]> = [
    ['GET 500', { method: 'GET', status: 500 }, true],
    ['GET 502', { method: 'GET', status: 502 }, true],
    ['GET 503', { method: 'GET', status: 503 }, true],
    ['GET 501', { method: 'GET', status: 501 }, false],
    ['GET 404', { method: 'GET', status: 404 }, false],
    ['GET 429', { method: 'GET', status: 429 }, true],
    ['GET ECONNRESET', { method: 'GET', errorCode: 'ECONNRESET' }, true],
    ['GET response timeout', { method: 'GET', errorCode: 'ETIMEDOUT', timeoutEvent: 'response' }, true],
    ['PATCH 500', { method: 'PATCH', status: 500 }, true],
    ['PATCH ECONNRESET', { method: 'PATCH', errorCode: 'ECONNRESET' }, true],
    ['DELETE 502', { method: 'DELETE', status: 502 }, true],
    ['DELETE 409', { method: 'DELETE', status: 409 }, false],
    ['POST 429', { method: 'POST', status: 429 }, true],
    ['POST 500', { method: 'POST', status: 500 }, false],
    ['POST 502', { method: 'POST', status: 502 }, false],
    ['POST 400', { method: 'POST', status: 400 }, false],
    ['POST ECONNRESET (lost answer)', { method: 'POST', errorCode: 'ECONNRESET' }, false],
    ['POST response timeout', { method: 'POST', errorCode: 'ETIMEDOUT', timeoutEvent: 'response' }, false],
    ['POST ECONNREFUSED', { method: 'POST', errorCode: 'ECONNREFUSED' }, true],
    ['POST ENOTFOUND', { method: 'POST', errorCode: 'ENOTFOUND' }, true],
    ['POST EAI_AGAIN', { method: 'POST', errorCode: 'EAI_AGAIN' }, true],
    ['POST connect timeout', { method: 'POST', errorCode: 'ETIMEDOUT', timeoutEvent: 'connect' }, true],
    ['GET unknown error', { method: 'GET', errorCode: 'AEP_AUTH' }, false],
  ];
  it.each(cases)('%s', (_name, failure, expected) => {
    expect(isRetryable(failure)).toBe(expected);
  });
});

describe('outcome unknown', () => {
  const cases: Array<[string, AttemptFailure, boolean]> = [
    ['POST 500', { method: 'POST', status: 500 }, true],
    ['POST lost answer', { method: 'POST', errorCode: 'ECONNRESET' }, true],
    ['POST response timeout', { method: 'POST', errorCode: 'ETIMEDOUT', timeoutEvent: 'response' }, true],
    ['POST refused connection', { method: 'POST', errorCode: 'ECONNREFUSED' }, false],
    ['POST connect timeout', { method: 'POST', errorCode: 'ETIMEDOUT', timeoutEvent: 'connect' }, false],
    ['POST 409', { method: 'POST', status: 409 }, false],
    ['POST 429', { method: 'POST', status: 429 }, false],
    ['PATCH 502', { method: 'PATCH', status: 502 }, true],
    ['DELETE lost answer', { method: 'DELETE', errorCode: 'ECONNRESET' }, true],
    ['GET 500', { method: 'GET', status: 500 }, false],
    ['GET lost answer', { method: 'GET', errorCode: 'ECONNRESET' }, false],
  ];
  it.each(cases)('%s', (_name, failure, expected) => {
    expect(isOutcomeUnknown(failure)).toBe(expected);
  });

  it('only the three never-sent codes and pre-connection timeouts prove a request never left', () => {
    expect(provesNotSent({ method: 'POST', errorCode: 'ECONNREFUSED' })).toBe(true);
    expect(provesNotSent({ method: 'POST', errorCode: 'ETIMEDOUT', timeoutEvent: 'lookup' })).toBe(true);
    expect(provesNotSent({ method: 'POST', errorCode: 'ETIMEDOUT', timeoutEvent: 'send' })).toBe(false);
    expect(provesNotSent({ method: 'POST', errorCode: 'EPIPE' })).toBe(false);
  });
});

describe('decideRetry', () => {
  it('stops after the limit', () => {
    const failure = { method: 'GET', status: 500 };
    expect(decideRetry(failure, 3, policy, () => 0.5).retry).toBe(true);
    expect(decideRetry(failure, 4, policy, () => 0.5).retry).toBe(false);
  });

  it('honours Retry-After as the delay, and gives up above maxRetryAfterMs', () => {
    expect(decideRetry({ method: 'POST', status: 429, retryAfterMs: 2000 }, 1, policy)).toEqual({
      retry: true,
      delayMs: 2000,
    });
    expect(decideRetry({ method: 'GET', status: 503, retryAfterMs: 1500 }, 1, policy)).toEqual({
      retry: true,
      delayMs: 1500,
    });
    expect(decideRetry({ method: 'GET', status: 429, retryAfterMs: 61_000 }, 1, policy)).toEqual({
      retry: false,
    });
  });

  it('waits rateLimitPauseMs on a 429 without Retry-After', () => {
    expect(decideRetry({ method: 'GET', status: 429 }, 1, policy)).toEqual({
      retry: true,
      delayMs: policy.rateLimitPauseMs,
    });
  });

  it('reads a Retry-After asking for no wait (0, a date past) as none: the 429 pause, or the backoff', () => {
    expect(decideRetry({ method: 'GET', status: 429, retryAfterMs: 0 }, 1, policy)).toEqual({
      retry: true,
      delayMs: 1000,
    });
    expect(decideRetry({ method: 'GET', status: 503, retryAfterMs: 0 }, 1, policy, () => 0.5)).toEqual({
      retry: true,
      delayMs: 50,
    });
  });

  it('backs off exponentially with full jitter, capped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (retry, r) => {
          const delay = backoffDelay(retry, policy, () => r);
          const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
          return delay >= 0 && delay <= ceiling;
        },
      ),
    );
    expect(backoffDelay(1, policy, () => 0.999)).toBeLessThanOrEqual(100);
    expect(backoffDelay(3, policy, () => 0.999)).toBeGreaterThan(390);
    expect(backoffDelay(10, policy, () => 0.999)).toBeLessThanOrEqual(1000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });
  it('reads an HTTP date', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
});
