import { afterEach, describe, expect, it } from 'vitest';
import { AepError } from '../../src/aep/errors.js';
import type { AepRequestEvent } from '../../src/aep/options.js';
import {
  DEMO_CLIENT,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { clientFor } from './helpers.js';

const started: RunningEmulator[] = [];
async function emulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const running = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  started.push(running);
  return running;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((running) => running.close()));
});

const OTHER = { clientId: 'other-client', clientSecret: 'other-secret-value', orgId: 'OTHER0RG@AdobeOrg' };

/** Many lookups at once: each answered 404 (no such operation), which is all these tests need. */
function lookups(client: ReturnType<typeof clientFor>, sandbox: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.getOperation(sandbox, `op-${i}`).then(
        () => 'found',
        (error: unknown) => (error instanceof AepError ? error.status : error),
      ),
    ),
  );
}

describe('429 and Retry-After', () => {
  it('pauses the whole sandbox for the Retry-After, then every call succeeds', async () => {
    const running = await emulator({ rateLimit: { perSecond: 5, burst: 5 } });
    const waits: number[] = [];
    const events: Array<{ start: number; end: number; status: number | undefined }> = [];
    const client = clientFor(running, {
      defaultAccess: {
        credentials: DEMO_CLIENT,
        budget: { requests: 1000, intervalMs: 1000, concurrency: 4 },
      },
      onRateLimitWait: (_sandbox, ms) => waits.push(ms),
      onRequest: (event) => {
        const end = Date.now();
        events.push({ start: end - event.durationMs, end, status: event.status });
      },
    });
    const results = await lookups(client, 'prod', 12);
    expect(results).toEqual(Array.from({ length: 12 }, () => 404));

    // Client side: once the first 429 is answered, no attempt of the sandbox starts until its
    // Retry-After (1 s) has passed. An attempt admitted in the same millisecond as the 429's
    // answer was already on its way, and `start` is derived from two clock reads that can be a
    // millisecond apart: attempts within 5 ms of the answer count as in flight.
    const first = events.find((event) => event.status === 429);
    if (!first) throw new Error('expected a 429');
    const after = events.filter((event) => event.start > first.end + 5);
    expect(after.length).toBeGreaterThan(0);
    for (const event of after) expect(event.start - first.end).toBeGreaterThanOrEqual(999);
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(900);
    expect(client.stats().rateLimited).toBeGreaterThanOrEqual(1);

    // Server side: only requests already on the wire land soon after the 429; then a silence.
    const log = running.control.requestLog().filter((entry) => entry.endpoint === 'getOperation');
    const first429 = log.find((entry) => entry.status === 429);
    if (!first429) throw new Error('expected a 429 in the log');
    const silent = log.filter(
      (entry) => entry.time > first429.time + 500 && entry.time < first429.time + 990,
    );
    expect(silent).toEqual([]);
  });

  it('pauses only the sandbox that was throttled', async () => {
    const running = await emulator({
      clients: [DEMO_CLIENT, OTHER],
      rateLimit: { perSecond: 2, burst: 2 },
    });
    const events: Array<{ sandbox: string; start: number; end: number; status: number | undefined }> = [];
    const client = clientFor(running, {
      sandboxes: {
        prod: { credentials: DEMO_CLIENT, budget: { requests: 100, intervalMs: 1000, concurrency: 4 } },
        dev: { credentials: OTHER, budget: { requests: 100, intervalMs: 1000, concurrency: 4 } },
      },
      onRequest: (event) => {
        const end = Date.now();
        events.push({ sandbox: event.sandbox, start: end - event.durationMs, end, status: event.status });
      },
    });
    const prod = lookups(client, 'prod', 4);
    // Wait until prod is paused, then use dev (another org, so another bucket).
    while (client.stats().rateLimited === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await lookups(client, 'dev', 2)).toEqual([404, 404]);
    expect(await prod).toEqual([404, 404, 404, 404]);

    // Order, not duration (a loaded machine stretches both): dev's calls were sent and answered
    // while prod was paused, before prod's first attempt after its 429.
    const prod429 = events.find((event) => event.sandbox === 'prod' && event.status === 429);
    if (!prod429) throw new Error('expected a 429 for prod');
    const prodResumed = events.filter((event) => event.sandbox === 'prod' && event.start > prod429.end + 5);
    const dev = events.filter((event) => event.sandbox === 'dev');
    expect(dev.map((event) => event.status)).toEqual([404, 404]);
    expect(prodResumed.length).toBeGreaterThan(0);
    expect(Math.max(...dev.map((event) => event.end))).toBeLessThan(
      Math.min(...prodResumed.map((event) => event.start)),
    );
    // And prod's pause was its Retry-After (1 s): dev was not let through by a pause ending.
    expect(Math.min(...prodResumed.map((event) => event.start)) - prod429.end).toBeGreaterThanOrEqual(900);
  });

  it('gives up when the Retry-After is longer than allowed, with retryAfterMs', async () => {
    const running = await emulator({ rateLimit: { perSecond: 1, burst: 1 } });
    const client = clientFor(running, { retry: { maxRetryAfterMs: 500, baseDelayMs: 1, maxDelayMs: 5 } });
    await client.getOperation('prod', 'first').catch(() => undefined);
    const error = await client.getOperation('prod', 'second').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AepError);
    expect(error).toMatchObject({
      code: 'AEP_RATE_LIMITED',
      status: 429,
      platformCode: '429050',
      retryAfterMs: 1000,
      outcomeUnknown: false,
      attempts: 1,
    });
    expect((error as Error).message).toMatch(/request budget/);
  });

  it('retries a POST refused with 429: it was not applied', async () => {
    // The run's start is refused once with a 429, as a gateway throttles, queued on that
    // endpoint: a bucket refilled by the clock let the start through at once when the machine
    // was slow between the two calls (seen in CI at load 17, twice).
    const running = await emulator();
    running.control.queueFault({ kind: 'clientError', endpoint: 'startRun', status: 429 });
    const events: AepRequestEvent[] = [];
    const client = clientFor(running, { onRequest: (event) => events.push(event) });
    await client.startRun('prod', 'no-such-audience', { dataFilterStartTime: 0 }).catch(() => undefined);
    expect(events.map((event) => event.status)).toEqual([429, 404]);
  });
});

describe('the sliding-window budget', () => {
  // The window itself is proven exactly, with a manual clock, in src/aep/request-budget.spec.ts;
  // how close to the limit it gets is a figure for bench/, not a test.
  it('a budget under the server limit never meets a 429', async () => {
    const limit = 50;
    const running = await emulator({ latencyMs: 10 });
    // Warm up (connections, JIT) so the first burst is not spread by cold starts.
    await lookups(clientFor(running), 'prod', 60);
    running.control.setRateLimit({ perSecond: limit });
    running.control.resetCounters();
    const client = clientFor(running, {
      defaultAccess: {
        credentials: DEMO_CLIENT,
        budget: { requests: limit - 5, intervalMs: 1000, concurrency: 8 },
      },
    });
    const total = 200;
    const results = await lookups(client, 'prod', total);
    expect(results.every((status) => status === 404)).toBe(true);
    const counters = running.control.counters();
    expect(counters.rateLimited).toBe(0);
  });
});
