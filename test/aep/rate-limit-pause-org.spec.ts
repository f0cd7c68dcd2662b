import { describe, expect, it } from 'vitest';
import type { AepHttpClient } from '../../src/aep/client.js';
import { useTwoOrgs } from '../helpers/two-orgs.js';
import { endOf } from './retry-after-proxy.js';

// A 429 asking for a wait within retry.maxRetryAfterMs (or none) paused only the sandbox it was
// answered in, while a longer one holds the org's sandboxes (0933c46e): AEP throttles the org
// (docs/configuration.md; the pages publish neither limit nor scope; the emulator's gateway keeps
// one bucket per org), so the org's other sandboxes' calls were sent at once into the throttle,
// each earning a 429 of its own, and a call made with no retry left failed on it. The short
// pause is now the org's too; another org's calls still go.

const twoOrgs = useTwoOrgs();

/** The bucket refills one request in 2 s: a 429 asks for 2 s, within maxRetryAfterMs. */
const RETRY = { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 50, maxRetryAfterMs: 10_000 };

/** A lookup of an operation no one made: 404 when answered, else the failure's code. Sent once. */
const lookup = (client: AepHttpClient, sandbox: string): Promise<unknown> =>
  client.getOperation(sandbox, 'op-none', { once: true }).then(() => 'found', endOf);

describe('a 429 asking for a wait within retry.maxRetryAfterMs, in one sandbox of an org', () => {
  it("pauses the org's other sandboxes too, not another org's", async () => {
    const { em, client } = await twoOrgs({ perSecond: 0.5, burst: 1 }, RETRY);
    const answered: string[] = [];
    em.control.observeRequests((request) => {
      if (request.endpoint !== 'imsToken') answered.push(`${request.sandbox ?? '-'} ${request.status}`);
    });
    expect(await lookup(client, 'prod')).toBe(404);
    expect(await lookup(client, 'prod')).toBe('AEP_RATE_LIMITED');
    expect(client.askedWait('dev')).toBeUndefined();
    // Another org's bucket is its own: its call is not paused, and is answered.
    expect(await lookup(client, 'partner')).toBe(404);
    // dev is of prod's org: its call waits out prod's pause, then is answered.
    expect(await lookup(client, 'dev')).toBe(404);
    expect(answered).toEqual(['prod 404', 'prod 429', 'partner 404', 'dev 404']);
  });
});
