import { describe, expect, it, type TestContext } from 'vitest';
import { AepError } from '../../src/aep/errors.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { clientFor, spec } from './helpers.js';
import { lookups, recordingAttempts, type Attempt } from './retry-after-proxy.js';

// Retry-After in every form the emulator writes it (docs/emulator.md, "Retry-After"), read by
// the client over real HTTP: retry-policy.spec.ts reads the values, this proves the waits.
// Each case waits out its own emulator's pauses (0.6 to 2 s) and spends almost no CPU: the cases
// run at once (describe.concurrent), each emulator closed when its own case ends.

/** A client of an emulator of its own, closed when the case `context` belongs to ends. */
async function withClient(context: TestContext, options: EmulatorOptions, overrides: AepClientOptions = {}) {
  const running: RunningEmulator = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  context.onTestFinished(() => running.close());
  const attempts: Attempt[] = [];
  const client = clientFor(
    running,
    recordingAttempts(attempts, {
      retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 700 },
      ...overrides,
    }),
  );
  return { running, client, attempts };
}

/** The shortest time from the first 429's answer to an attempt started after it. */
function pauseAfterFirst429(attempts: Attempt[]): number {
  const first = attempts.find((attempt) => attempt.status === 429);
  if (!first) throw new Error('expected a 429');
  // Attempts admitted within 5 ms of the answer were already on their way.
  const later = attempts.filter((attempt) => attempt.startedAt > first.endedAt + 5);
  if (later.length === 0) throw new Error('expected an attempt after the 429');
  return Math.min(...later.map((attempt) => attempt.startedAt - first.endedAt));
}

describe.concurrent('a 429 of the rate limit, its Retry-After in each form', () => {
  // A bucket of one that refills in a second: the rate limit's Retry-After asks for 1 s.
  const limit = { perSecond: 1, burst: 1 };

  it("an HTTP date 1 s after the answer's Date: the sandbox pauses 1 s, every lookup answered", async (context) => {
    const { client, attempts } = await withClient(context, {
      rateLimit: { ...limit, retryAfterForm: 'http-date' },
    });
    expect(await lookups(client, 3)).toEqual([404, 404, 404]);
    expect(pauseAfterFirst429(attempts)).toBeGreaterThanOrEqual(995);
  });

  for (const form of ['past-date', 'malformed'] as const) {
    it(`${form}: read as no Retry-After, the pause of rateLimitPauseMs (700 ms), every lookup answered`, async (context) => {
      const { client, attempts } = await withClient(context, {
        rateLimit: { ...limit, retryAfterForm: form },
      });
      expect(await lookups(client, 3)).toEqual([404, 404, 404]);
      expect(pauseAfterFirst429(attempts)).toBeGreaterThanOrEqual(695);
    });
  }
});

describe.concurrent('a 503 with a Retry-After (a queued error503), on a lookup', () => {
  for (const form of ['seconds', 'http-date'] as const) {
    it(`2 s in ${form}: retried after 2 s, then answered`, async (context) => {
      const { running, client, attempts } = await withClient(context, {});
      running.control.queueFault({ kind: 'error503', retryAfterSeconds: 2, retryAfterForm: form });
      expect(await lookups(client, 1)).toEqual([404]);
      expect(attempts.map((attempt) => attempt.status)).toEqual([503, 404]);
      expect(attempts[1]!.startedAt - attempts[0]!.endedAt).toBeGreaterThanOrEqual(1995);
    });
  }

  it("a date in the past: retried after the backoff (600 ms at the jitter's top), not at once", async (context) => {
    const { running, client, attempts } = await withClient(
      context,
      {},
      { retry: { baseDelayMs: 600, maxDelayMs: 600 }, random: () => 1 },
    );
    running.control.queueFault({ kind: 'error503', retryAfterSeconds: 2, retryAfterForm: 'past-date' });
    expect(await lookups(client, 1)).toEqual([404]);
    expect(attempts.map((attempt) => attempt.status)).toEqual([503, 404]);
    expect(attempts[1]!.startedAt - attempts[0]!.endedAt).toBeGreaterThanOrEqual(590);
  });

  it('an unreadable one: retried after the backoff, then answered', async (context) => {
    const { running, client, attempts } = await withClient(
      context,
      {},
      { retry: { baseDelayMs: 600, maxDelayMs: 600 }, random: () => 1 },
    );
    running.control.queueFault({ kind: 'error503', retryAfterSeconds: 2, retryAfterForm: 'malformed' });
    expect(await lookups(client, 1)).toEqual([404]);
    expect(attempts.map((attempt) => attempt.status)).toEqual([503, 404]);
    expect(attempts[1]!.startedAt - attempts[0]!.endedAt).toBeGreaterThanOrEqual(590);
  });

  it('a create answered 503 with a Retry-After is not repeated: its outcome is unknown', async (context) => {
    const { running, client, attempts } = await withClient(context, {});
    running.control.queueFault({ kind: 'error503', endpoint: 'createAudience', retryAfterSeconds: 1 });
    const error = await client.createAudience('prod', spec()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AepError);
    expect((error as AepError).status).toBe(503);
    expect((error as AepError).outcomeUnknown).toBe(true);
    expect(attempts.map((attempt) => attempt.status)).toEqual([503]);
  });
});
