import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { TokenBuckets } from '../../src/emulator/rate-limit.js';
import { withEmulator } from '../helpers/with-emulator.js';

const OTHER_ORG = {
  clientId: 'acme',
  clientSecret: 'acme-secret',
  orgId: 'ACME0000000000000000000@AdobeOrg',
};
const LOOKUP = '/external-audiences/operations/none';

describe('token bucket per org', () => {
  it('answers a burst beyond the bucket with 429 and Retry-After, and counts the 429s', async () => {
    await withEmulator(
      { rateLimit: { perSecond: 0.01, burst: 5 }, clients: [DEMO_CLIENT, OTHER_ORG] },
      async (emulator) => {
        await emulator.token();
        await emulator.token(OTHER_ORG);
        const responses = await Promise.all(Array.from({ length: 8 }, () => emulator.request('GET', LOOKUP)));
        const statuses = responses.map((response) => response.status);
        expect(statuses.filter((status) => status === 404)).toHaveLength(5);
        expect(statuses.filter((status) => status === 429)).toHaveLength(3);
        const limited = responses.find((response) => response.status === 429);
        expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(limited?.body).toMatchObject({
          status: 429,
          title: 'TOO_MANY_REQUESTS',
          report: { errorCode: '429050' },
        });

        // Another org has its own bucket.
        expect((await emulator.request('GET', LOOKUP, { client: OTHER_ORG })).status).toBe(404);

        const counters = emulator.control.counters();
        expect(counters.rateLimited).toBe(3);
        expect(counters.byEndpoint.getOperation).toMatchObject({ requests: 9, rateLimited: 3 });
        expect(counters.byEndpoint.getOperation.byStatus).toEqual({ '404': 6, '429': 3 });
      },
    );
  });

  it('refills at the configured rate', async () => {
    await withEmulator({ rateLimit: { perSecond: 2, burst: 1 } }, async (emulator) => {
      expect((await emulator.request('GET', LOOKUP)).status).toBe(404);
      expect((await emulator.request('GET', LOOKUP)).status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await emulator.request('GET', LOOKUP)).status).toBe(404);
    });
  });

  it('can leave out Retry-After, for clients that must cope without it', async () => {
    await withEmulator({ rateLimit: { perSecond: 1, burst: 1, retryAfter: false } }, async (emulator) => {
      await emulator.request('GET', LOOKUP);
      const limited = await emulator.request('GET', LOOKUP);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBeNull();
    });
  });

  it('can be switched on and off at run time', async () => {
    await withEmulator({}, async (emulator) => {
      emulator.control.setRateLimit({ perSecond: 1, burst: 1 });
      await emulator.request('GET', LOOKUP);
      expect((await emulator.request('GET', LOOKUP)).status).toBe(429);
      emulator.control.setRateLimit(undefined);
      expect((await emulator.request('GET', LOOKUP)).status).toBe(404);
    });
  });

  it('computes Retry-After from the refill rate', () => {
    const buckets = new TokenBuckets({ perSecond: 0.25, burst: 1, retryAfter: true });
    expect(buckets.take('org', 0)).toEqual({ ok: true });
    expect(buckets.take('org', 0)).toEqual({ ok: false, retryAfterSeconds: 4, sendRetryAfter: true });
    expect(buckets.take('org', 2000)).toEqual({ ok: false, retryAfterSeconds: 2, sendRetryAfter: true });
    expect(buckets.take('org', 4000)).toEqual({ ok: true });
  });
});
