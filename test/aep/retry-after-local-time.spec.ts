import { afterEach, describe, expect, it } from 'vitest';
import { asctimeDate, imfDate, type HeadedAnswer } from '../helpers/header-proxy.js';
import { retryAfterProxies } from './retry-after-proxy.js';

const proxies = retryAfterProxies();
const zone = process.env['TZ'];
afterEach(() => {
  if (zone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = zone;
});

/** One lookup through a proxy that answers its first attempt 429 with `retryAfter` of the answer's headers. */
const lookupThrottledOnce = (retryAfter: (answer: HeadedAnswer) => string) =>
  proxies.lookupThrottledOnce(retryAfter, 700);

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
