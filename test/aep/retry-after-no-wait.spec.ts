import { afterEach, describe, expect, it } from 'vitest';
import { AepError } from '../../src/aep/errors.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { clientFor } from './helpers.js';
import {
  imfDate,
  startHeaderProxy,
  unavailableBody,
  type HeadedAnswer,
  type Replacement,
} from '../helpers/header-proxy.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Attempt = { startedAt: number; endedAt: number; status: number | undefined };

/** A client of the emulator through a proxy that replaces answers, with each attempt's times. */
async function throughProxy(
  emulatorOptions: Parameters<typeof startEmulator>[0],
  replace: (answer: HeadedAnswer) => Replacement | undefined,
  overrides: AepClientOptions = {},
) {
  const running: RunningEmulator = await startEmulator({ host: '127.0.0.1', port: 0, ...emulatorOptions });
  closers.push(() => running.close());
  const proxy = await startHeaderProxy(running.apiBaseUrl, replace);
  closers.push(() => proxy.close());
  const attempts: Attempt[] = [];
  const client = clientFor(running, {
    baseUrl: proxy.apiBaseUrl,
    onRequest: (event) => {
      const endedAt = Date.now();
      attempts.push({ startedAt: endedAt - event.durationMs, endedAt, status: event.status });
    },
    ...overrides,
  });
  return { running, client, attempts };
}

/** 404 for an answered lookup (no such operation), else the failure's code. */
function endOf(error: unknown): unknown {
  if (!(error instanceof AepError)) return error;
  return error.status === 404 ? 404 : error.code;
}

/** Each lookup's end: its status (404: answered, no such operation) or the error code. */
function lookups(client: ReturnType<typeof clientFor>, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.getOperation('prod', `op-${i}`).then(
        () => 'found',
        (error: unknown) => endOf(error),
      ),
    ),
  );
}

describe('a Retry-After that asks for no wait', () => {
  // The emulator's gateway throttles (one request a second, a burst of one) and sends no
  // Retry-After; the proxy, as a gateway in front of it would, adds one that asks for no wait.
  const throttled = { rateLimit: { perSecond: 1, burst: 1, retryAfter: false } };
  const pastDate = (answer: HeadedAnswer) =>
    answer.status === 429
      ? { status: 429, headers: { ...answer.headers, 'retry-after': imfDate(answer.headers, -3_600_000) } }
      : undefined;
  const zero = (answer: HeadedAnswer) =>
    answer.status === 429 ? { status: 429, headers: { ...answer.headers, 'retry-after': '0' } } : undefined;

  for (const [name, replace] of [
    ['a date in the past', pastDate],
    ['0 seconds', zero],
  ] as const) {
    it(`a 429 with ${name} pauses the sandbox as a 429 without one does, and every lookup is answered`, async () => {
      const { client, attempts } = await throughProxy(throttled, replace, {
        retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 1000 },
      });
      // Three at once against a bucket of one: two are throttled, and keep being throttled for
      // as long as they are repeated at once; a pause of a second lets them through one by one.
      expect(await lookups(client, 3)).toEqual([404, 404, 404]);
      const first = attempts.find((attempt) => attempt.status === 429);
      if (!first) throw new Error('expected a 429');
      const later = attempts.filter((attempt) => attempt.startedAt > first.endedAt + 5);
      expect(later.length).toBeGreaterThan(0);
      for (const attempt of later) expect(attempt.startedAt - first.endedAt).toBeGreaterThanOrEqual(990);
    });
  }

  it('a 503 with a date in the past is retried after the backoff, not at once', async () => {
    let refused = 0;
    const { client, attempts } = await throughProxy(
      {},
      (answer) => {
        if (refused > 0 || !answer.path.includes('/operations/')) return undefined;
        refused += 1;
        const headers = { ...answer.headers, 'retry-after': imfDate(answer.headers, -3_600_000) };
        return { status: 503, headers, body: unavailableBody() };
      },
      // The jitter's top: the first retry's backoff is baseDelayMs, 600 ms.
      { retry: { baseDelayMs: 600, maxDelayMs: 600 }, random: () => 1 },
    );
    expect(await lookups(client, 1)).toEqual([404]);
    expect(attempts.map((attempt) => attempt.status)).toEqual([503, 404]);
    const [refusedAttempt, retry] = attempts;
    expect(retry!.startedAt - refusedAttempt!.endedAt).toBeGreaterThanOrEqual(590);
  });
});
