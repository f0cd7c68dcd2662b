import { describe, expect, it } from 'vitest';
import { imfDate, unavailableBody, type HeadedAnswer } from '../helpers/header-proxy.js';
import { lookups, retryAfterProxies } from './retry-after-proxy.js';

const { throughProxy } = retryAfterProxies();

// Each case waits out its own pauses (1 s, 0.6 s) on an emulator and proxy of its own, spending
// almost no CPU: they run at once.
describe.concurrent('a Retry-After that asks for no wait', () => {
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
