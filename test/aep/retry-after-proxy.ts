import { afterAll } from 'vitest';
import { AepError } from '../../src/aep/errors.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import { startEmulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { startHeaderProxy, type HeadedAnswer, type Replacement } from '../helpers/header-proxy.js';
import { clientFor } from './helpers.js';

/** One attempt of a call, on the wall clock: when it left, when its answer (or failure) came. */
export type Attempt = { startedAt: number; endedAt: number; status: number | undefined };

/** 404 for an answered lookup (no such operation), else the failure's code. */
export function endOf(error: unknown): unknown {
  if (!(error instanceof AepError)) return error;
  return error.status === 404 ? 404 : error.code;
}

/** Each of `count` lookups' end: 404 (answered, no such operation) or the error code. */
export function lookups(client: ReturnType<typeof clientFor>, count: number): Promise<unknown[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.getOperation('prod', `op-${i}`).then(
        () => 'found',
        (error: unknown) => endOf(error),
      ),
    ),
  );
}

/** `overrides` with an `onRequest` that records each attempt in `attempts`. */
export function recordingAttempts(attempts: Attempt[], overrides: AepClientOptions = {}): AepClientOptions {
  return {
    onRequest: (event) => {
      const endedAt = Date.now();
      attempts.push({ startedAt: endedAt - event.durationMs, endedAt, status: event.status });
    },
    ...overrides,
  };
}

/**
 * The set-up of the Retry-After specs that change the emulator's answers in transit (a gateway's
 * 429 or 503, a Retry-After in another form): an emulator and a header proxy per call, closed
 * once the file's tests are done. Call at the top of the file. Not after each test: a file whose
 * cases only wait out their own pauses runs them at once (describe.concurrent), and one case's
 * end must not close the servers of another still running.
 */
export function retryAfterProxies() {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A client of a new emulator through a proxy that replaces answers, with each attempt's times. */
  async function throughProxy(
    emulatorOptions: EmulatorOptions,
    replace: (answer: HeadedAnswer) => Replacement | undefined,
    overrides: AepClientOptions = {},
  ) {
    const running = await startEmulator({ host: '127.0.0.1', port: 0, ...emulatorOptions });
    closers.push(() => running.close());
    const proxy = await startHeaderProxy(running.apiBaseUrl, replace);
    closers.push(() => proxy.close());
    const attempts: Attempt[] = [];
    const client = clientFor(
      running,
      recordingAttempts(attempts, { baseUrl: proxy.apiBaseUrl, ...overrides }),
    );
    return { running, client, attempts };
  }

  /**
   * One operation lookup whose first answer the proxy turns into a 429 with `retryAfter` (of
   * that answer's headers); a 429 without a readable Retry-After pauses `rateLimitPauseMs`.
   * `gap`: from the 429's answer to the retry's start.
   */
  async function lookupThrottledOnce(retryAfter: (answer: HeadedAnswer) => string, rateLimitPauseMs: number) {
    let throttled = 0;
    const { client, attempts } = await throughProxy(
      {},
      (answer) => {
        if (throttled > 0 || !answer.path.includes('/operations/')) return undefined;
        throttled += 1;
        return { status: 429, headers: { ...answer.headers, 'retry-after': retryAfter(answer) } };
      },
      { retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs } },
    );
    const end = await client.getOperation('prod', 'op-1').then(
      () => 'found',
      (error: unknown) => endOf(error),
    );
    const [first, retry] = attempts;
    return {
      end,
      statuses: attempts.map((attempt) => attempt.status),
      gap: retry && first ? retry.startedAt - first.endedAt : undefined,
    };
  }

  return { throughProxy, lookupThrottledOnce };
}
