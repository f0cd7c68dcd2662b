import { afterEach, describe, expect, it } from 'vitest';
import { AepError } from '../../src/aep/errors.js';
import { startEmulator } from '../../src/emulator/index.js';
import { clientFor } from './helpers.js';
import { asctimeDate, imfDate, startHeaderProxy, type HeadedAnswer } from '../helpers/header-proxy.js';

const closers: Array<() => Promise<void>> = [];
const zone = process.env['TZ'];
afterEach(async () => {
  if (zone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = zone;
  for (const close of closers.splice(0).reverse()) await close();
});

type Attempt = { startedAt: number; endedAt: number; status: number | undefined };

/** 404 for an answered lookup (no such operation), else the failure's code. */
function endOf(error: unknown): unknown {
  if (!(error instanceof AepError)) return error;
  return error.status === 404 ? 404 : error.code;
}

/** One lookup through a proxy that answers its first attempt 429 with `retryAfter` of the answer's headers. */
async function lookupThrottledOnce(retryAfter: (answer: HeadedAnswer) => string) {
  const running = await startEmulator({ host: '127.0.0.1', port: 0 });
  closers.push(() => running.close());
  let throttled = 0;
  const proxy = await startHeaderProxy(running.apiBaseUrl, (answer) => {
    if (throttled > 0 || !answer.path.includes('/operations/')) return undefined;
    throttled += 1;
    return { status: 429, headers: { ...answer.headers, 'retry-after': retryAfter(answer) } };
  });
  closers.push(() => proxy.close());
  const attempts: Attempt[] = [];
  const client = clientFor(running, {
    baseUrl: proxy.apiBaseUrl,
    retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 700 },
    onRequest: (event) => {
      const endedAt = Date.now();
      attempts.push({ startedAt: endedAt - event.durationMs, endedAt, status: event.status });
    },
  });
  const end = await client.getOperation('prod', 'op-1').then(
    () => 'found',
    (error: unknown) => endOf(error),
  );
  const [first, retry] = attempts;
  return {
    end,
    statuses: attempts.map((attempt) => attempt.status),
    gap: retry ? retry.startedAt - first!.endedAt : undefined,
  };
}

// HTTP dates are GMT in every form (RFC 9110 5.6.7), whatever the zone of the machine reading them.
describe('a Retry-After HTTP date read on a machine whose zone is not UTC', () => {
  for (const tz of ['America/New_York', 'Asia/Tokyo']) {
    it(`the obsolete asctime form, 2 s after the answer's Date, is waited for 2 s (TZ=${tz})`, async () => {
      process.env['TZ'] = tz;
      const result = await lookupThrottledOnce((answer) => asctimeDate(answer.headers, 2000));
      expect(result.end).toBe(404);
      expect(result.statuses).toEqual([429, 404]);
      expect(result.gap).toBeGreaterThanOrEqual(1990);
    });
  }

  it('a date naming no zone is unreadable: the pause of a 429 without Retry-After (TZ=America/New_York)', async () => {
    process.env['TZ'] = 'America/New_York';
    // IMF-fixdate without its "GMT": not an HTTP date.
    const result = await lookupThrottledOnce((answer) => imfDate(answer.headers, 2000).replace(/ GMT$/, ''));
    expect(result.end).toBe(404);
    expect(result.statuses).toEqual([429, 404]);
    expect(result.gap).toBeGreaterThanOrEqual(690);
    expect(result.gap).toBeLessThan(1990);
  });
});
