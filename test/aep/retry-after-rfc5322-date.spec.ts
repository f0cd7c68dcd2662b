import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { clientFor } from '../aep/helpers.js';
import { imfDate, startHeaderProxy, type HeadedAnswer } from '../helpers/header-proxy.js';

// Review verify-44 M-1, of f3ed412c: HTTP dates are now read in RFC 9110's three forms only.
// Dates that name their zone, which Date.parse read right before (GMT), are now unreadable:
// a day of one digit (`Sun, 6 Dec 2026 01:00:02 GMT`, as Java's RFC_1123_DATE_TIME writes it, on
// the 1st to 9th of every month), a numeric zone (`+0000`, RFC 5322's). RFC 9110 5.6.7 asks
// recipients to be robust to RFC 5322 dates. A Retry-After so written was then no Retry-After:
// the 429 pause, not the wait asked (and a Date header so written left AEP's clock unread).

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The answer's Date plus `ms`, as RFC 5322 writes it: the day of the month unpadded, the zone `zone`. */
function rfc5322Date(headers: IncomingHttpHeaders, ms: number, zone: string): string {
  // The IMF-fixdate the emulator wrote, moved by `ms` (the helper's own, read by Date.parse).
  const [weekday, , month, year, time] = imfDate(headers, ms).split(' ');
  const day = new Date(Date.parse(imfDate(headers, ms))).getUTCDate();
  return `${weekday} ${day} ${month} ${year} ${time} ${zone}`;
}

async function throttledOnce(retryAfter: (answer: HeadedAnswer) => string) {
  const running = await startEmulator({ host: '127.0.0.1', port: 0 });
  closers.push(() => running.close());
  let throttled = 0;
  const proxy = await startHeaderProxy(running.apiBaseUrl, (answer) => {
    if (throttled > 0 || !answer.path.includes('/operations/')) return undefined;
    throttled += 1;
    return { status: 429, headers: { ...answer.headers, 'retry-after': retryAfter(answer) } };
  });
  closers.push(() => proxy.close());
  const attempts: Array<{ startedAt: number; endedAt: number; status: number | undefined }> = [];
  const client = clientFor(running, {
    baseUrl: proxy.apiBaseUrl,
    retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 300 },
    onRequest: (event) => {
      const endedAt = Date.now();
      attempts.push({ startedAt: endedAt - event.durationMs, endedAt, status: event.status });
    },
  });
  await client.getOperation('prod', 'op-1').catch(() => undefined);
  const [first, retry] = attempts;
  return {
    statuses: attempts.map((attempt) => attempt.status),
    gap: retry ? retry.startedAt - first!.endedAt : undefined,
  };
}

describe('an HTTP date naming its zone in an RFC 5322 form', () => {
  for (const zone of ['GMT', '+0000', 'UT']) {
    it(`a Retry-After 2 s after the answer's Date, day unpadded, zone ${zone}, is waited for`, async () => {
      const result = await throttledOnce((answer) => rfc5322Date(answer.headers, 2000, zone));
      expect(result.statuses).toEqual([429, 404]);
      expect(result.gap).toBeGreaterThanOrEqual(1990);
    });
  }
});
