import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

const started: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((running) => running.close()));
});

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> {
  const running = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  started.push(running);
  return running;
}

/** A lookup of an unknown operation over real HTTP, as any client of the service sends it. */
async function lookup(running: RunningEmulator): Promise<Response> {
  return fetch(`${running.apiBaseUrl}/external-audiences/operations/op-1`, {
    headers: {
      authorization: `Bearer ${running.control.issueToken(DEMO_CLIENT.clientId)}`,
      'x-api-key': DEMO_CLIENT.clientId,
      'x-gw-ims-org-id': DEMO_CLIENT.orgId,
      'x-sandbox-name': 'prod',
    },
  });
}

function dateOf(answer: Response): number {
  return Date.parse(answer.headers.get('date') ?? '');
}

// docs/emulator.md: the emulator is there "to see how a client copes with throttling"; a gateway
// may send Retry-After as delta-seconds or as an HTTP date (RFC 9110), and a 503 may carry one.
describe('the emulator answers Retry-After in each form a gateway may send', () => {
  it('a 429 of the rate limit with an HTTP date (rateLimit.retryAfterForm: http-date)', async () => {
    const running = await emulator({ rateLimit: { perSecond: 1, burst: 1, retryAfterForm: 'http-date' } });
    expect((await lookup(running)).status).toBe(404);
    const throttled = await lookup(running);
    expect(throttled.status).toBe(429);
    const retryAfter = throttled.headers.get('retry-after') ?? '';
    expect(retryAfter).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Date.parse(retryAfter) - dateOf(throttled)).toBe(1000);
  });

  it('a 429 with a date in the past, and with an unreadable one', async () => {
    const past = await emulator({ rateLimit: { perSecond: 1, burst: 1, retryAfterForm: 'past-date' } });
    await lookup(past);
    const inThePast = await lookup(past);
    expect(inThePast.status).toBe(429);
    expect(Date.parse(inThePast.headers.get('retry-after') ?? '')).toBeLessThan(dateOf(inThePast));
    const malformed = await emulator({ rateLimit: { perSecond: 1, burst: 1, retryAfterForm: 'malformed' } });
    await lookup(malformed);
    const unreadable = await lookup(malformed);
    expect(unreadable.status).toBe(429);
    expect(unreadable.headers.get('retry-after')).not.toBeNull();
    expect(Date.parse(unreadable.headers.get('retry-after') ?? '')).toBeNaN();
    expect(unreadable.headers.get('retry-after')).not.toMatch(/^\d+$/);
  });

  it('a queued 503 (error503) with a Retry-After of its own, in seconds or as an HTTP date', async () => {
    const running = await emulator({});
    running.control.queueFault({ kind: 'error503', retryAfterSeconds: 2 });
    running.control.queueFault({ kind: 'error503', retryAfterSeconds: 3, retryAfterForm: 'http-date' });
    const seconds = await lookup(running);
    expect(seconds.status).toBe(503);
    expect(seconds.headers.get('retry-after')).toBe('2');
    expect(((await seconds.json()) as { report: { errorCode: string } }).report.errorCode).toBe('100970-503');
    const dated = await lookup(running);
    expect(dated.status).toBe(503);
    expect(Date.parse(dated.headers.get('retry-after') ?? '') - dateOf(dated)).toBe(3000);
    expect((await lookup(running)).status).toBe(404);
  });
});
