import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { imfDate, type HeadedAnswer } from '../helpers/header-proxy.js';
import { retryAfterProxies } from './retry-after-proxy.js';

// Review verify-44 M-1, of f3ed412c: HTTP dates are now read in RFC 9110's three forms only.
// Dates that name their zone, which Date.parse read right before (GMT), are now unreadable:
// a day of one digit (`Sun, 6 Dec 2026 01:00:02 GMT`, as Java's RFC_1123_DATE_TIME writes it, on
// the 1st to 9th of every month), a numeric zone (`+0000`, RFC 5322's). RFC 9110 5.6.7 asks
// recipients to be robust to RFC 5322 dates. A Retry-After so written was then no Retry-After:
// the 429 pause, not the wait asked (and a Date header so written left AEP's clock unread).

const proxies = retryAfterProxies();

/** The answer's Date plus `ms`, as RFC 5322 writes it: the day of the month unpadded, the zone `zone`. */
function rfc5322Date(headers: IncomingHttpHeaders, ms: number, zone: string): string {
  // The IMF-fixdate the emulator wrote, moved by `ms` (the helper's own, read by Date.parse).
  const [weekday, , month, year, time] = imfDate(headers, ms).split(' ');
  const day = new Date(Date.parse(imfDate(headers, ms))).getUTCDate();
  return `${weekday} ${day} ${month} ${year} ${time} ${zone}`;
}

const throttledOnce = (retryAfter: (answer: HeadedAnswer) => string) =>
  proxies.lookupThrottledOnce(retryAfter, 300);

// Each case waits out its own 2 s Retry-After, spending almost no CPU: they run at once.
describe.concurrent('an HTTP date naming its zone in an RFC 5322 form', () => {
  for (const zone of ['GMT', '+0000', 'UT']) {
    it(`a Retry-After 2 s after the answer's Date, day unpadded, zone ${zone}, is waited for`, async () => {
      const result = await throttledOnce((answer) => rfc5322Date(answer.headers, 2000, zone));
      expect(result.statuses).toEqual([429, 404]);
      expect(result.gap).toBeGreaterThanOrEqual(1990);
    });
  }
});
