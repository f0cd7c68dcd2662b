import net from 'node:net';
import got from 'got';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AskedWaits } from '../../src/aep/asked-waits.js';
import type { AepCredentials } from '../../src/aep/credentials.js';
import { AepAuthError, AepError } from '../../src/aep/errors.js';
import { createHttp } from '../../src/aep/http.js';
import { ImsToken, ImsTokens, type ImsTokenOptions } from '../../src/aep/ims-token.js';
import { DEFAULT_TIMEOUTS } from '../../src/aep/options.js';
import { DEFAULT_RETRY } from '../../src/aep/retry-policy.js';
import { ServiceClock } from '../../src/aep/service-clock.js';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/log.js';
import { startFakeAep, type FakeAep } from './fake-aep.js';
import { clientFor } from './helpers.js';

const started: RunningEmulator[] = [];
async function emulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<RunningEmulator> {
  const running = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  started.push(running);
  return running;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((running) => running.close()));
});

function tokenRequests(running: RunningEmulator): number {
  return running.control.counters().byEndpoint.imsToken.requests;
}

describe('IMS token', () => {
  it('is requested once for many calls, concurrent or not', async () => {
    const running = await emulator();
    const client = clientFor(running);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        client.getOperation('prod', `op-${i}`).catch((error: unknown) => error),
      ),
    );
    for (let i = 0; i < 5; i += 1) await client.getOperation('prod', 'x').catch(() => undefined);
    expect(tokenRequests(running)).toBe(1);
    expect(client.stats().tokenRequests).toBe(1);
    expect(running.control.counters().byEndpoint.getOperation.requests).toBe(35);
  });

  it('is shared by the sandboxes of one client', async () => {
    const running = await emulator();
    const client = clientFor(running);
    await Promise.all(
      ['prod', 'dev', 'qa'].map((sandbox) => client.getOperation(sandbox, 'x').catch(() => undefined)),
    );
    expect(tokenRequests(running)).toBe(1);
  });

  it('is renewed before it expires', async () => {
    const running = await emulator({ tokenLifetimeSeconds: 1 });
    const client = clientFor(running);
    // Only the clocks are faked, timers and sockets are real: each call is made at an exact
    // age of the token (IMS's and the client's), however slow the machine is.
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: Date.now() });
    try {
      await client.getOperation('prod', 'x').catch(() => undefined);
      expect(tokenRequests(running)).toBe(1);
      vi.advanceTimersByTime(500);
      await client.getOperation('prod', 'x').catch(() => undefined);
      expect(tokenRequests(running)).toBe(1);
      // Renewal is due at 90% of the lifetime: a call at 950 ms gets a new token, before expiry.
      vi.advanceTimersByTime(450);
      await client.getOperation('prod', 'x').catch(() => undefined);
      expect(tokenRequests(running)).toBe(2);
    } finally {
      vi.useRealTimers();
    }
    const refusedTokens = running.control
      .requestLog()
      .filter((entry) => entry.errorCode === '100911-400' || entry.status === 401);
    expect(refusedTokens).toEqual([]);
  });

  it('is renewed once and the call retried once when the API refuses it', async () => {
    const first = await emulator();
    const port = Number(new URL(first.url).port);
    const client = clientFor(first, { baseUrl: first.apiBaseUrl, imsUrl: first.imsUrl });
    await client.getOperation('prod', 'x').catch(() => undefined);
    await first.close();
    // A new emulator on the same port signs with a new key: the cached token is now invalid.
    const second = await emulator({ port });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.getOperation('prod', `op-${i}`).catch((error: unknown) => error),
      ),
    );
    for (const result of results) {
      expect(result).toBeInstanceOf(AepError);
      expect(result).toMatchObject({ status: 404, platformCode: '100940-404' });
    }
    // One renewal shared by every refused call, each retried once. (On a busy machine a
    // call may start after the renewal and never meet the old token.)
    expect(tokenRequests(second)).toBe(1);
    const calls = second.control.requestLog().filter((entry) => entry.endpoint === 'getOperation');
    const refused = calls.filter((entry) => entry.errorCode === '100911-400').length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(calls.filter((entry) => entry.status === 404)).toHaveLength(10);
    expect(calls).toHaveLength(10 + refused);
  });

  it('gives up after one renewal when the new token is refused too', async () => {
    const ims = await emulator();
    const api = await emulator();
    // Tokens of one emulator are invalid at the other.
    const client = clientFor(api, { imsUrl: ims.imsUrl });
    const error = await client.getOperation('prod', 'x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AepError);
    expect(error).toMatchObject({
      code: 'AEP_UNAUTHORIZED',
      status: 400,
      platformCode: '100911-400',
      attempts: 2,
    });
    expect((error as Error).message).toMatch(/AEP_IMS_URL/);
    expect(tokenRequests(ims)).toBe(2);
    expect(api.control.counters().byEndpoint.getOperation.requests).toBe(2);
  });

  it('reports bad credentials naming the setting to check', async () => {
    const running = await emulator();
    const demo = running.clients[0];
    if (!demo) throw new Error('no client');
    const badSecret = clientFor(running, {
      defaultAccess: {
        credentials: { clientId: demo.clientId, clientSecret: 'wrong-secret-value', orgId: demo.orgId },
      },
    });
    const error = await badSecret.getOperation('prod', 'x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AepAuthError);
    expect(error).toMatchObject({ code: 'AEP_AUTH', status: 401, imsError: 'invalid_client' });
    expect((error as Error).message).toMatch(/client secret.*AEP_CLIENT_SECRET/);
    expect((error as Error).message).not.toContain('wrong-secret-value');
    // No API call without a token.
    expect(running.control.counters().byEndpoint.getOperation.requests).toBe(0);
    // A refused request is remembered for a while: bad credentials do not hammer IMS.
    await badSecret.getOperation('prod', 'y').catch(() => undefined);
    expect(tokenRequests(running)).toBe(1);

    const badId = clientFor(running, {
      defaultAccess: {
        credentials: {
          clientId: 'nobody',
          clientSecret: 'whatever-secret',
          orgId: demo.orgId,
          hints: { clientId: 'sandboxes.prod.clientId in audiencectl.yaml' },
        },
      },
    });
    const unknown = await badId.getOperation('prod', 'x').catch((caught: unknown) => caught);
    expect((unknown as Error).message).toMatch(
      /does not know client nobody: check sandboxes\.prod\.clientId in audiencectl\.yaml/,
    );
  });

  it("is not shared with another sandbox's credentials of the same client: a wrong secret is refused", async () => {
    const running = await emulator();
    const demo = running.clients[0];
    if (!demo) throw new Error('no client');
    const client = clientFor(running, {
      sandboxes: {
        prod: {
          credentials: { clientId: demo.clientId, clientSecret: demo.clientSecret, orgId: demo.orgId },
        },
        dev: {
          credentials: { clientId: demo.clientId, clientSecret: 'wrong-secret-of-dev', orgId: demo.orgId },
        },
      },
    });
    const prod = await client.getOperation('prod', 'x').catch((caught: unknown) => caught);
    expect(prod).toMatchObject({ status: 404, platformCode: '100940-404' });
    const dev = await client.getOperation('dev', 'x').catch((caught: unknown) => caught);
    expect(dev).toBeInstanceOf(AepAuthError);
    expect(dev).toMatchObject({ status: 401, imsError: 'invalid_client' });
    expect(tokenRequests(running)).toBe(2);
    expect(running.control.counters().byEndpoint.getOperation.requests).toBe(1);
  });

  it('reports an unreachable IMS', async () => {
    const running = await emulator();
    const client = clientFor(running, { imsUrl: 'http://127.0.0.1:9/ims/token/v3' });
    const error = await client.getOperation('prod', 'x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AepAuthError);
    expect((error as Error).message).toMatch(
      /Cannot reach IMS .*(ECONNREFUSED|ERR_SOCKET_CLOSED_BEFORE_CONNECTION).*AEP_IMS_URL/,
    );
  });
});

describe('ImsToken timing (a controlled clock, a real IMS endpoint)', () => {
  let fake: FakeAep;
  beforeAll(async () => {
    fake = await startFakeAep();
  });
  afterAll(async () => {
    await fake.close();
  });

  function token(
    now: () => number,
    failureCacheMs = 30_000,
    monotonic?: () => number,
    more: Partial<ImsTokenOptions> = {},
  ): ImsToken {
    return new ImsToken({
      imsUrl: fake.imsUrl,
      credentials: { clientId: 'timing', clientSecret: 'timing-secret-value', orgId: 'T@AdobeOrg' },
      http: got.extend({ retry: { limit: 0 } }),
      now,
      failureCacheMs,
      ...(monotonic ? { monotonic } : {}),
      ...more,
    });
  }

  it('starts its renewal at exactly 23 h 55 min of a 24 h token, not a millisecond earlier', async () => {
    let time = 0;
    const ims = token(() => time);
    const first = await ims.get();
    time = 86_099_999;
    expect(await ims.get()).toBe(first);
    expect(ims.requests).toBe(1);
    time = 86_100_000;
    expect(await ims.get()).toBe(first);
    expect(ims.requests).toBe(2);
    await vi.waitFor(async () => expect(await ims.get()).not.toBe(first));
  });

  it('counts the lifetime from when the token was asked for, not from when a slow IMS answered', async () => {
    let time = 0;
    // Each answer comes 10 min after its request, on the token's clock.
    const slow = got.extend({
      retry: { limit: 0 },
      hooks: {
        afterResponse: [
          (response) => {
            time += 600_000;
            return response;
          },
        ],
      },
    });
    const ims = token(() => time, 30_000, undefined, { http: slow });
    const first = await ims.get();
    expect(time).toBe(600_000);
    // 23 h 55 min after the request, 23 h 45 min after the answer: the renewal is due.
    time = 86_100_000;
    expect(await ims.get()).toBe(first);
    expect(ims.requests).toBe(2);
    await vi.waitFor(async () => expect(await ims.get()).not.toBe(first));
  });

  it.each([500, 429])('does not hold on to an IMS %i: the next call asks again', async (status) => {
    const ims = token(() => 0);
    fake.imsScript({ status });
    await expect(ims.get()).rejects.toMatchObject({ name: 'AepAuthError', status });
    expect(await ims.get()).toMatch(/^token-\d+-abcdefgh$/);
    expect(ims.requests).toBe(2);
  });

  it.each([
    // 24 h pass on the monotonic clock, but NTP stepped the wall clock back by an hour first.
    ['the wall clock is stepped back meanwhile', 86_400_000, 86_400_000 - 3_600_000],
    ['a suspend the monotonic clock did not count', 1_000, 86_400_000],
  ])('is not used past its lifetime after %s', async (_, monoStep, wallStep) => {
    let wall = 1_700_000_000_000;
    let mono = 0;
    const ims = token(
      () => wall,
      30_000,
      () => mono,
    );
    const first = await ims.get();
    mono += monoStep;
    wall += wallStep;
    expect(await ims.get()).not.toBe(first);
    expect(ims.requests).toBe(2);
  });

  it('renews in the background early in the margin, and waits for it late in the margin', async () => {
    let time = 0;
    const ims = token(() => time);
    const first = await ims.get();
    expect(ims.requests).toBe(1);
    // 24 h token: margin 5 min, renewal due at 23h55; its first half renews in the background.
    time = 86_400_000 - 240_000;
    expect(await ims.get()).toBe(first);
    await vi.waitFor(() => expect(ims.requests).toBe(2));
    await vi.waitFor(async () => expect(await ims.get()).not.toBe(first));
    // Late in the margin, with IMS failing, the caller gets the error.
    const second = await ims.get();
    time += 86_400_000 - 60_000;
    fake.imsScript({ status: 503 });
    await expect(ims.get()).rejects.toMatchObject({ name: 'AepAuthError', status: 503 });
    expect(await ims.get()).not.toBe(second);
  });

  it('keeps the still-valid token when a background renewal fails', async () => {
    let time = 0;
    const refusals: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => refusals.push(line) },
    });
    const ims = token(() => time, 30_000, undefined, { logger });
    const first = await ims.get();
    time = 86_400_000 - 200_000;
    fake.imsScript({ status: 401, body: '{"error":"invalid_client","error_description":"bad secret"}' });
    expect(await ims.get()).toBe(first);
    // The refusal is logged once it is remembered.
    await vi.waitFor(() => expect(refusals.join('')).toContain('IMS refused the token request'));
    expect(ims.requests).toBe(2);
    // Failure remembered, old token still good: used without asking IMS again.
    expect(await ims.get()).toBe(first);
    expect(ims.requests).toBe(2);
  });
});

describe("ImsToken's log line says what IMS answered", () => {
  let fake: FakeAep;
  beforeAll(async () => {
    fake = await startFakeAep();
  });
  afterAll(async () => {
    await fake.close();
  });

  async function logged(
    answer: { status: number; body?: string; headers?: Record<string, string> } | undefined,
    imsUrl = fake.imsUrl,
  ) {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => lines.push(line) },
    });
    const ims = new ImsToken({
      imsUrl,
      credentials: { clientId: 'logged', clientSecret: 'logged-secret-value', orgId: 'L@AdobeOrg' },
      http: got.extend({ retry: { limit: 0 } }),
      logger,
    });
    if (answer) fake.imsScript(answer);
    const error = await ims.get().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(AepAuthError);
    return {
      message: (error as AepAuthError).message,
      msgs: lines.map((line) => (JSON.parse(line) as { msg: string }).msg),
    };
  }

  it.each([
    [302, 'IMS answered a redirect; not followed'],
    [307, 'IMS answered a redirect; not followed'],
  ])('a %i is a redirect not followed, in the message and the log line', async (status, msg) => {
    const { message, msgs } = await logged({
      status,
      headers: { location: 'https://elsewhere.example/ims' },
    });
    expect(message).toContain(`answered HTTP ${status}, a redirect that audiencectl does not follow`);
    expect(msgs).toEqual([msg]);
  });

  it.each([
    [401, '{"error":"invalid_client"}', 'IMS refused the token request'],
    [503, '', 'IMS is unavailable'],
  ])('a %i is logged as what it is', async (status, body, msg) => {
    expect((await logged({ status, body })).msgs).toEqual([msg]);
  });

  it('an answer without a token, and no answer at all, are no refusal either', async () => {
    expect((await logged({ status: 200, body: '{"token_type":"bearer"}' })).msgs).toEqual([
      'IMS answered without a usable access token',
    ]);
    // A port nothing listens on: the port of a server closed.
    const closed = await startFakeAep();
    const url = closed.imsUrl;
    await closed.close();
    expect((await logged(undefined, url)).msgs).toEqual(['IMS could not be reached']);
  });
});

describe('ImsToken errors of an IMS that echoes the request', () => {
  let fake: FakeAep;
  beforeAll(async () => {
    fake = await startFakeAep();
  });
  afterAll(async () => {
    await fake.close();
  });

  const secret = 'echoed-client-secret-3f9a1c';
  const form = `grant_type=client_credentials&client_id=echo&client_secret=${secret}&scope=openid`;

  async function refusal(body: string): Promise<AepAuthError> {
    fake.imsScript({ status: 400, body, headers: { 'content-type': 'application/json' } });
    const ims = new ImsToken({
      imsUrl: fake.imsUrl,
      credentials: { clientId: 'echo', clientSecret: secret, orgId: 'E@AdobeOrg' },
      http: got.extend({ retry: { limit: 0 } }),
    });
    const error = await ims.get().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AepAuthError);
    return error as AepAuthError;
  }

  it('never carries the client secret in its message or imsError, whatever field echoes it', async () => {
    const inError = await refusal(JSON.stringify({ error: form }));
    expect(inError.message).toContain('(HTTP 400 ');
    expect(inError.message).not.toContain(secret);
    expect(inError.imsError).not.toContain(secret);
  });

  it('never carries a piece of the secret cut where the description is shortened', async () => {
    // The description is shortened to 300 characters: the secret straddles the cut.
    const description = `${'x'.repeat(290)}${secret}`;
    const error = await refusal(JSON.stringify({ error: 'invalid_request', error_description: description }));
    expect(error.message).toContain('IMS said: ');
    expect(error.message).not.toContain(secret.slice(0, 10));
  });
});

describe('ImsTokens', () => {
  it('shares one token between equal credentials only: another secret or other scopes get their own', () => {
    const made: AepCredentials[] = [];
    const tokens = new ImsTokens((credentials) => {
      made.push(credentials);
      return new ImsToken({ imsUrl: 'http://127.0.0.1:9/ims/token/v3', credentials, http: got });
    });
    const base = { clientId: 'shared', clientSecret: 'shared-secret-one-1234', orgId: 'S@AdobeOrg' };
    const one = tokens.for(base);
    expect(tokens.for({ ...base })).toBe(one);
    expect(tokens.for({ ...base, clientSecret: 'shared-secret-two-5678' })).not.toBe(one);
    expect(tokens.for({ ...base, scopes: ['openid'] })).not.toBe(one);
    expect(made).toHaveLength(3);
  });
});

describe('IMS refusing connections (the client’s own got instance)', () => {
  /** A loopback port nothing listens on (now). */
  async function closedPort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  /** An ImsToken on createHttp's got, as the client builds it; `onAttempt` runs before each attempt is sent. */
  function tokenAt(port: number, onAttempt: (attempt: number) => Promise<void> | void): ImsToken {
    let attempts = 0;
    const http = createHttp({
      baseUrl: 'http://127.0.0.1:9/data/core/ais',
      timeouts: { ...DEFAULT_TIMEOUTS },
      retry: { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 5 },
      logger: undefined,
      random: () => 1,
      report: () => undefined,
      onRateLimitWait: () => undefined,
      clock: new ServiceClock(),
      askedWaits: new AskedWaits(DEFAULT_RETRY.maxRetryAfterMs),
      pauseOrg: () => undefined,
    }).extend({
      hooks: {
        beforeRequest: [
          async () => {
            attempts += 1;
            await onAttempt(attempts);
          },
        ],
      },
    });
    return new ImsToken({
      imsUrl: `http://127.0.0.1:${port}/ims/token/v3`,
      credentials: {
        clientId: DEMO_CLIENT.clientId,
        clientSecret: DEMO_CLIENT.clientSecret,
        orgId: DEMO_CLIENT.orgId,
      },
      http,
      reconnectDelayMs: () => 1,
    });
  }

  // Node 24.20 and later fail got's retry of a refused connection outside its retry loop
  // (got#2469): without a retry of our own, the production image's Node asked IMS once.
  it('asks three times in all, on Node 20 and on Node 24 alike', async () => {
    const seen: number[] = [];
    const error = await tokenAt(await closedPort(), (attempt) => {
      seen.push(attempt);
    })
      .get()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AepAuthError);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gets its token from an IMS that starts listening at the third attempt', async () => {
    const port = await closedPort();
    const token = tokenAt(port, async (attempt) => {
      if (attempt === 3) await emulator({ port });
    });
    expect(await token.get()).toMatch(/^\S{16,}$/);
    expect(token.requests).toBe(1);
  });
});
