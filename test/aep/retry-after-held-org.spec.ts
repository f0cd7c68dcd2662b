import { describe, expect, it } from 'vitest';
import type { AepHttpClient } from '../../src/aep/client.js';
import { useTwoOrgs } from '../helpers/two-orgs.js';
import { endOf } from './retry-after-proxy.js';

// Review 47 (service), M. A 429 (or 5xx) asking for a wait longer than retry.maxRetryAfterMs
// holds the calls that would only earn another 429 (asked-waits.ts). It held those of the
// sandbox it came from alone, while the throttle is the org's (docs/configuration.md, "AEP
// does not publish its rate limits and may throttle per organization"; the emulator's gateway
// keeps one bucket per org): every call of another sandbox of the org was still sent into it,
// each earning a 429 of its own. Now the hold is the org's; another org's calls still go.

const twoOrgs = useTwoOrgs();

const RETRY = { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 50, maxRetryAfterMs: 2000 };

/** A lookup of an operation no one made in `sandbox`: 404 when answered, else the failure's code. */
const lookup = (client: AepHttpClient, sandbox: string): Promise<unknown> =>
  client.getOperation(sandbox, 'op-none').then(() => 'found', endOf);

describe('a Retry-After longer than retry.maxRetryAfterMs, in one sandbox of an org', () => {
  it("holds the calls of the org's other sandboxes too, not another org's", async () => {
    // Each org's bucket holds one request and refills in 100 s: its second is a 429 asking 100 s.
    const { em, client } = await twoOrgs({ perSecond: 0.01, burst: 1 }, RETRY);
    const answered: string[] = [];
    em.control.observeRequests((request) => {
      answered.push(`${request.sandbox ?? '-'} ${request.endpoint} ${request.status}`);
    });
    expect(await lookup(client, 'prod')).toBe(404);
    expect(await lookup(client, 'prod')).toBe('AEP_RATE_LIMITED');
    // The org's throttle asked for 100 s: dev is of the same org, and its call is not sent.
    const held = await client.getOperation('dev', 'op-none').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(held).toMatchObject({ code: 'AEP_HELD', sandbox: 'dev', attempts: 0 });
    // Up to 100 s: the bucket refills while the test runs (on a loaded machine, a second or more).
    expect((held as Error).message).toMatch(/AEP asked for a Retry-After of (9\d|100) s in sandbox "prod"/);
    expect(client.askedWait?.('dev')?.retryAfterMs).toBeGreaterThan(RETRY.maxRetryAfterMs);
    // Another org has a bucket of its own: its call goes, and is answered.
    expect(await lookup(client, 'partner')).toBe(404);
    expect(client.askedWait?.('partner')).toBeUndefined();
    expect(answered.filter((line) => !line.includes('imsToken'))).toEqual([
      'prod getOperation 404',
      'prod getOperation 429',
      'partner getOperation 404',
    ]);
  });
});
