import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import type { AepHttpClient } from '../../src/aep/client.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import { clientOfFake, json, startFakeAep, type FakeAep } from './fake-aep.js';
import { failure, spec } from './helpers.js';

let fake: FakeAep;
beforeAll(async () => {
  fake = await startFakeAep();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.fallback({ status: 200, body: '{}' });
});

function client(overrides: AepClientOptions = {}): AepHttpClient {
  return clientOfFake(
    fake,
    { clientId: 'shape-client', clientSecret: 'shape-secret-value', orgId: 'SHAPE@AdobeOrg' },
    overrides,
  );
}

/** A fake of the case's own and its client (as `client` above), closed when that case ends. */
async function ownFake(context: TestContext) {
  const own = await startFakeAep();
  context.onTestFinished(() => own.close());
  return {
    fake: own,
    client: (overrides: AepClientOptions = {}): AepHttpClient =>
      clientOfFake(
        own,
        { clientId: 'shape-client', clientSecret: 'shape-secret-value', orgId: 'SHAPE@AdobeOrg' },
        overrides,
      ),
  };
}

describe('requests as the reference page writes them', () => {
  it('uses the exact paths, query and the four headers', async () => {
    // One token, the fake's next, for every call: the fake numbers them for the file, whatever
    // ran before (under --sequence.shuffle this case is not always the first to ask).
    const token = `Bearer token-${fake.tokenRequests() + 1}-abcdefgh`;
    const aep = client();
    const run = { runId: 'r1' };
    fake.script(
      json(202, { operationId: 'op-1' }),
      json(200, { operationId: 'op-1', status: 'SUCCESS', audienceId: 'a-1' }),
      json(200, { audienceId: 'a-1' }),
      json(200, run),
      json(200, run),
      json(200, { runs: [] }),
      { status: 204 },
    );
    await aep.createAudience('prod', spec());
    await aep.getOperation('prod', 'op-1');
    await aep.patchAudience('prod', 'a-1', { description: 'd' });
    await aep.startRun('prod', 'a-1', { dataFilterStartTime: 5 });
    await aep.getRun('prod', 'a-1', 'r1');
    await aep.listRuns('prod', 'a-1');
    await aep.deleteAudience('prod', 'a-1');
    expect(fake.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /data/core/ais/external-audience/',
      'GET /data/core/ais/external-audiences/operations/op-1',
      'PATCH /data/core/ais/external-audience/a-1',
      'POST /data/core/ais/external-audience/a-1/runs',
      'GET /data/core/ais/external-audience/a-1/runs/r1',
      'GET /data/core/ais/external-audience/a-1/runs',
      'DELETE /data/core/ais/external-audience/a-1',
    ]);
    for (const request of fake.requests) {
      expect(request.headers).toMatchObject({
        authorization: token,
        'x-api-key': 'shape-client',
        'x-gw-ims-org-id': 'SHAPE@AdobeOrg',
        'x-sandbox-name': 'prod',
      });
    }
    expect(JSON.parse(fake.requests[3]?.body ?? '')).toEqual({ dataFilterStartTime: 5 });
  });

  it('returns runs newest first whatever order they come in', async () => {
    fake.script(
      json(200, {
        runs: [
          { runId: 'old', createdAt: 100 },
          { runId: 'none' },
          { runId: 'new', createdAt: 300 },
          { runId: 'mid', createdAt: 200 },
        ],
      }),
    );
    const runs = await client().listRuns('prod', 'a-1');
    expect(runs.map((run) => run.runId)).toEqual(['new', 'mid', 'old', 'none']);
  });

  it('refuses an empty id instead of calling another path', async () => {
    await expect(client().deleteAudience('prod', '')).rejects.toThrow(TypeError);
    expect(fake.requests).toHaveLength(0);
  });

  it('encodes ids in paths', async () => {
    fake.script(json(200, { operationId: 'a/b', status: 'PROCESSING' }));
    await client().getOperation('prod', 'a/b?c');
    expect(fake.requests[0]?.url).toBe('/data/core/ais/external-audiences/operations/a%2Fb%3Fc');
  });
});

describe('error bodies of every shape', () => {
  it('a gateway 401 renews the token once and retries once', async () => {
    const tokensBefore = fake.tokenRequests();
    fake.script(json(401, { error_code: '401013', message: 'Oauth token is not valid' }));
    fake.fallback(json(200, { operationId: 'op', status: 'SUCCESS', audienceId: 'a-op' }));
    const operation = await client().getOperation('prod', 'op');
    expect(operation.status).toBe('SUCCESS');
    expect(fake.tokenRequests() - tokensBefore).toBe(2);
    const [first, second] = fake.requests;
    expect(first?.headers.authorization).not.toBe(second?.headers.authorization);
  });

  it('a persistent gateway 401: two attempts, a message naming the settings', async () => {
    fake.fallback(json(401, { error_code: '401013', message: 'Oauth token is not valid' }));
    const error = await failure(client().getOperation('prod', 'op'));
    expect(error).toMatchObject({
      code: 'AEP_UNAUTHORIZED',
      status: 401,
      platformCode: '401013',
      attempts: 2,
    });
    expect(error.message).toMatch(/AEP_CLIENT_ID, AEP_CLIENT_SECRET and AEP_ORG_ID/);
    expect(error.message).toMatch(/AEP said: Oauth token is not valid/);
    expect(fake.requests).toHaveLength(2);
  });

  it('a 403 says the client is not allowed', async () => {
    fake.fallback(json(403, { type: 'https://ns.adobe.com/aep/errors/100922-403', title: 'Forbidden' }));
    const error = await failure(client().getOperation('dev', 'op'));
    expect(error).toMatchObject({
      code: 'AEP_FORBIDDEN',
      status: 403,
      platformCode: '100922-403',
      attempts: 1,
    });
    expect(error.message).toMatch(/not allowed.*sandbox "dev"/);
  });

  it('an HTML 502 page: retried, then reported with its title', async () => {
    fake.fallback({
      status: 502,
      body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>',
      headers: { 'content-type': 'text/html', 'x-request-id': 'req-502' },
    });
    const error = await failure(
      client({ retry: { limit: 2, baseDelayMs: 1, maxDelayMs: 2 } }).getOperation('prod', 'op'),
    );
    expect(error).toMatchObject({ code: 'AEP_SERVER_ERROR', status: 502, requestId: 'req-502', attempts: 3 });
    expect(error.platformCode).toBeUndefined();
    expect(error.message).toMatch(/AEP said: 502 Bad Gateway/);
    // What AEP said ends without a full stop; the sentence of ours after it starts anew.
    expect(error.message).toMatch(/AEP said: 502 Bad Gateway\. Retry later\.$/);
  });

  it('a plain-text 500 on a POST: not retried, outcome unknown', async () => {
    fake.fallback({
      status: 500,
      body: 'upstream failure 100970-500',
      headers: { 'content-type': 'text/plain' },
    });
    const error = await failure(client().createAudience('prod', spec()));
    expect(error).toMatchObject({
      status: 500,
      platformCode: '100970-500',
      outcomeUnknown: true,
      attempts: 1,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('an empty 404 is no answer of the service (test/aep/foreign-not-found.spec.ts), and a nested { error: { code, message } }', async () => {
    fake.script({ status: 404 }, json(400, { error: { code: 'E42', message: 'nested message' } }));
    const empty = await failure(client().deleteAudience('prod', 'a'));
    expect(empty).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status: 404 });
    expect(fake.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'DELETE /data/core/ais/external-audience/a',
    ]);
    const nested = await failure(client().getOperation('prod', 'op'));
    expect(nested).toMatchObject({ code: 'AEP_BAD_REQUEST', platformCode: 'E42' });
    expect(nested.message).toMatch(/nested message/);
  });

  it('an echoed access token cut where the message is shortened leaves no piece of it', async () => {
    // The service's words are shortened to 300 characters: the token straddles the cut.
    fake.fallback((request) => {
      const token = String(request.headers['authorization']).replace(/^Bearer /, '');
      return json(400, { message: `${'x'.repeat(290)}${token}`, errors: [`${'y'.repeat(290)}${token}`] });
    });
    const error = await failure(client().getOperation('prod', 'op'));
    const token = String(fake.requests.at(-1)?.headers['authorization']).replace(/^Bearer /, '');
    expect(token.length).toBeGreaterThan(12);
    expect(error.message).toContain('AEP said: xxx');
    for (const text of [error.message, ...error.details.map((item) => item.message)]) {
      expect(text).not.toContain(token.slice(0, 9));
    }
  });

  it('a 100920-401 (missing header) gets its own advice', async () => {
    fake.fallback(
      json(401, {
        type: 'https://ns.adobe.com/aep/errors/100920-401',
        title: 'UNAUTHORIZED',
        status: 401,
        detail: 'Missing required header(s): x-sandbox-name.',
        report: { errorCode: '100920-401' },
      }),
    );
    const error = await failure(client().getOperation('prod', 'op'));
    expect(error.message).toMatch(/required header is missing: check AEP_ORG_ID/);
  });
});

// Each case waits out a pause of its own (0.2 to 2 s) and spends almost no CPU: they run at once
// (describe.concurrent), each against a fake of its own, closed when the case ends.
describe.concurrent('429 and 503 from other servers', () => {
  it('429 without Retry-After pauses the sandbox for rateLimitPauseMs', async (context) => {
    const { fake, client } = await ownFake(context);
    fake.script({ status: 429, body: '{"error_code":"429001","message":"Too many requests"}' });
    fake.fallback(json(200, { operationId: 'op', status: 'SUCCESS', audienceId: 'a-op' }));
    // `b` is asked for once the client has the 429 of `a` (not beside it: a request sent
    // before the 429 came back is not held, and under load it may reach the server late).
    let second: Promise<unknown> | undefined;
    const aep = client({
      onRequest: (event) => {
        if (event.status === 429) second = aep.getOperation('prod', 'b');
      },
    });
    await aep.getOperation('prod', 'a');
    await second;
    const [first, ...rest] = fake.requests;
    expect(rest.map((request) => request.url.slice(request.url.lastIndexOf('/') + 1)).sort()).toEqual([
      'a',
      'b',
    ]);
    // The 429 came back after `a` reached the server: the retry of `a` and `b` wait 200 ms from then.
    for (const request of rest) expect(request.time - (first?.time ?? 0)).toBeGreaterThanOrEqual(195);
  });

  it('429 with an HTTP-date Retry-After is honoured', async (context) => {
    const { fake, client } = await ownFake(context);
    // 2 s after the 429's own time, written as it is answered: taken before the call, the date
    // was past by then once the call came 1 to 2 s later (a loaded runner; seen with the call
    // held 2 s on purpose: the 200 ms pause of no Retry-After, 225 ms apart).
    let answered = 0;
    fake.fallback(() =>
      answered++ === 0
        ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } }
        : json(200, { operationId: 'op', status: 'SUCCESS', audienceId: 'a-op' }),
    );
    await client().getOperation('prod', 'a');
    const [first, second] = fake.requests;
    // HTTP dates have whole seconds: the wait is 1 to 2 s.
    expect((second?.time ?? 0) - (first?.time ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it.for([
    ['2 days ahead of', 2],
    ['2 days behind', -2],
  ] as const)(
    'an HTTP-date Retry-After from a service whose clock is %s ours is counted from its Date',
    async ([, days], context) => {
      const { fake, client } = await ownFake(context);
      const serviceNow = Date.now() + days * 86_400_000;
      fake.script({
        status: 429,
        headers: {
          date: new Date(serviceNow).toUTCString(),
          'retry-after': new Date(serviceNow + 2000).toUTCString(),
        },
      });
      fake.fallback(json(200, { operationId: 'op', status: 'SUCCESS', audienceId: 'a-op' }));
      // Counted from the local clock, the wait was 2 days (given up) or none at all.
      await client().getOperation('prod', 'a');
      const [first, second] = fake.requests;
      expect((second?.time ?? 0) - (first?.time ?? 0)).toBeGreaterThanOrEqual(990);
    },
  );

  it('503 with Retry-After delays that GET by as long', async (context) => {
    const { fake, client } = await ownFake(context);
    fake.script({ status: 503, headers: { 'retry-after': '1' } });
    fake.fallback(json(200, { operationId: 'op', status: 'SUCCESS', audienceId: 'a-op' }));
    await client().getOperation('prod', 'slow');
    const [first, second] = fake.requests;
    expect((second?.time ?? 0) - (first?.time ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('503 with Retry-After delays that GET only: the sandbox goes on', async (context) => {
    const { fake, client } = await ownFake(context);
    fake.script({ status: 503, headers: { 'retry-after': '5' } });
    fake.fallback(json(200, { operationId: 'op', status: 'SUCCESS', audienceId: 'a-op' }));
    let answered503: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (answered503 = resolve));
    const held: number[] = [];
    const aep = client({
      onRequest: (event) => event.status === 503 && answered503(),
      onRateLimitWait: (_sandbox, ms) => held.push(ms),
    });
    const stop = new AbortController();
    const slow = aep.getOperation('prod', 'slow', { signal: stop.signal }).catch((error: unknown) => error);
    await waiting;
    await aep.getOperation('prod', 'fast');
    // Sent while `slow` waits, and not held at the sandbox's gate (as a 429 would hold it).
    expect(held).toEqual([]);
    expect(fake.requests.map((request) => request.url.slice(request.url.lastIndexOf('/') + 1))).toEqual([
      'slow',
      'fast',
    ]);
    stop.abort();
    await slow;
  });
});

describe('successes that break the contract', () => {
  it('a created audience with an unreadable answer: outcome unknown', async () => {
    fake.script({ status: 202, body: 'accepted', headers: { 'content-type': 'text/plain' } });
    const error = await failure(client().createAudience('prod', spec()));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', status: 202, outcomeUnknown: true });
  });

  it('a lookup missing required fields: a bad response, not retried', async () => {
    fake.script(json(200, { status: 'SUCCESS' }));
    const error = await failure(client().getOperation('prod', 'op'));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', outcomeUnknown: false });
    expect(error.message).toMatch(/operationId/);
    expect(fake.requests).toHaveLength(1);
  });

  it('a SUCCESS operation that names no audience: a bad response, not a failed create', async () => {
    fake.script(json(200, { operationId: 'op', status: 'SUCCESS' }));
    const error = await failure(client().getOperation('prod', 'op'));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', outcomeUnknown: false });
    expect(error.message).toMatch(/audienceId: missing from a SUCCESS operation/);
  });
});

/**
 * Reads whose answer cannot be taken at its word: a bulk-get entry of another error status
 * is no "not found", a list whose next page is not further on is no list to follow, a failed
 * or cut runs list is no list of runs. Each fails at once, rather than read "gone" or "no run".
 */
/** A refusal of the runs list's parameters, as a service without them answers (docs/emulator.md). */
const REFUSED_LIMIT = {
  type: 'https://ns.adobe.com/aep/errors/100910-400',
  title: 'BAD_REQUEST',
  status: 400,
  detail: 'Invalid request: limit: is not a known query parameter',
  report: { errorCode: '100910-400', errors: [{ path: 'limit', message: 'is not a known query parameter' }] },
};

describe('answers a read cannot be taken from', () => {
  // The Audiences API at the same scripted server.
  const reads = () => client({ audiencesBaseUrl: fake.apiBaseUrl });

  it('a bulk-get entry with status 500 fails the read; it is not "no such audience"', async () => {
    fake.script(json(200, { results: { 'a-1': { status: 500, message: 'Internal error' } } }));
    const error = await failure(reads().bulkGetAudiences('prod', ['a-1']));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'bulkGetAudiences' });
    expect(error.message).toBe('bulk-get gave no usable answer for audience a-1 (status 500)');
    expect(fake.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it("a bulk-get entry with status '404' is not found, with no lookup of its own", async () => {
    fake.script(json(200, { results: { 'a-1': { status: '404', message: 'Not found' } } }));
    // A service known to list external audiences under their /core/ais id (audience-ids.ts).
    const known = client({
      audiencesBaseUrl: fake.apiBaseUrl,
      compat: { remembered: { audienceIds: 'same' } },
    });
    const found = await known.bulkGetAudiences('prod', ['a-1']);
    expect([...found]).toEqual([['a-1', undefined]]);
    expect(fake.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it("a bulk-get entry with status '404' is not found once the list by its audienceId holds none", async () => {
    // Not known to list them so, the 404 may be for an id of the Audiences API's own: one list.
    fake.script(
      json(200, { results: { 'a-1': { status: '404', message: 'Not found' } } }),
      json(200, { children: [] }),
    );
    const found = await reads().bulkGetAudiences('prod', ['a-1']);
    expect([...found]).toEqual([['a-1', undefined]]);
    expect(fake.requests.map((request) => `${request.method} ${decodeURIComponent(request.url)}`)).toEqual([
      'POST /data/core/ais/audiences/bulk-get',
      'GET /data/core/ais/audiences?start=0&limit=50&property=audienceId==a-1',
    ]);
  });

  it('a name lookup whose next page is the page itself fails at its first request, not "none"', async () => {
    fake.script(json(200, { children: [], _page: { next: '0', totalCount: 3 } }));
    const error = await failure(reads().findAudiencesByName('prod', 'Gold'));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listAudiences' });
    expect(error.message).toContain('its next page is "0", after start 0');
    expect(fake.requests).toHaveLength(1);
  });

  it('a create refused with a 400 that does not name sourceSpec is not sent again in the other shape', async () => {
    fake.script(
      json(400, {
        type: 'https://ns.adobe.com/aep/errors/100910-400',
        title: 'Bad request',
        status: 400,
        detail: 'description must be at most 1000 characters',
      }),
    );
    const error = await failure(client().createAudience('prod', spec()));
    expect(error).toMatchObject({ status: 400, platformCode: '100910-400', attempts: 1 });
    expect(fake.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it('a bare runs list cut short, from a service known to refuse limit/sortBy, asks for them again: refused again, it is no list of runs', async () => {
    fake.script(
      json(200, { runs: [{ runId: 'r-1', createdAt: 1_764_000_000 }], _page: { totalCount: 3 } }),
      json(400, REFUSED_LIMIT),
      // The page after it by `start` (review runs-41, M-2): the first page again, not paged so.
      json(200, { runs: [{ runId: 'r-1', createdAt: 1_764_000_000 }], _page: { totalCount: 3 } }),
    );
    const aep = client({ compat: { remembered: { runsListParams: 'refused' } } });
    const error = await failure(aep.listRuns('prod', 'a-1'));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listRuns' });
    expect(error.message).toContain(
      'with 1 of 3 runs, in no promised order, and refused limit/sortBy (HTTP 400',
    );
    expect(fake.requests.map((request) => request.url)).toEqual([
      '/data/core/ais/external-audience/a-1/runs',
      '/data/core/ais/external-audience/a-1/runs?limit=40&sortBy=-createdAt',
      '/data/core/ais/external-audience/a-1/runs?start=1',
    ]);
    expect(aep.compat().runsListParams).toBe('refused');
    expect(aep.compat().runsListStart).toBe('ignored');
  });

  it('a bare runs list cut short, from a service once known to refuse limit/sortBy that takes them now: read newest first, accepted learned', async () => {
    fake.script(
      json(200, { runs: [{ runId: 'old', createdAt: 1_764_000_000 }], _page: { totalCount: 2 } }),
      json(200, {
        runs: [
          { runId: 'new', createdAt: 1_764_000_100 },
          { runId: 'old', createdAt: 1_764_000_000 },
        ],
        _page: { totalCount: 2 },
      }),
      json(200, { runs: [], _page: { totalCount: 0 } }),
    );
    const aep = client({ compat: { remembered: { runsListParams: 'refused' } } });
    expect((await aep.listRuns('prod', 'a-1')).map((run) => run.runId)).toEqual(['new', 'old']);
    expect(aep.compat().runsListParams).toBe('accepted');
    // Now sent at once.
    await aep.listRuns('prod', 'a-1');
    expect(fake.requests.map((request) => request.url)).toEqual([
      '/data/core/ais/external-audience/a-1/runs',
      '/data/core/ais/external-audience/a-1/runs?limit=40&sortBy=-createdAt',
      '/data/core/ais/external-audience/a-1/runs?limit=40&sortBy=-createdAt',
    ]);
  });

  it('a 400 to limit/sortBy that does not name them is no refusal of the parameters', async () => {
    const cut = json(200, { runs: [{ runId: 'r-1', createdAt: 1_764_000_000 }], _page: { totalCount: 3 } });
    const gateway = json(400, { error_code: '400000', message: 'Bad Request' });
    fake.script(cut, gateway);
    const aep = client();
    const error = await failure(aep.listRuns('prod', 'a-1'));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', endpoint: 'listRuns' });
    expect(aep.compat().runsListParams).toBeUndefined();

    // Told they were taken, a client answered the same 400 falls back to the bare list and keeps that.
    fake.script(gateway, json(200, { runs: [] }));
    const told = client({ compat: { remembered: { runsListParams: 'accepted' } } });
    expect(await told.listRuns('prod', 'a-1')).toEqual([]);
    expect(told.compat().runsListParams).toBe('accepted');
  });

  it('a runs list with limit/sortBy that fails with 503 is a failed list, not a refusal of the parameters', async () => {
    // No retry; a bare list, were one asked for, would answer "no run".
    fake.script(json(503, { title: 'Service Unavailable', status: 503 }));
    fake.fallback(json(200, { runs: [] }));
    const aep = client({
      retry: { limit: 0, baseDelayMs: 1, maxDelayMs: 5 },
      compat: { remembered: { runsListParams: 'accepted' } },
    });
    const error = await failure(aep.listRuns('prod', 'a-1'));
    expect(error).toMatchObject({ code: 'AEP_SERVER_ERROR', status: 503, endpoint: 'listRuns' });
    expect(fake.requests.map((request) => request.url)).toEqual([
      '/data/core/ais/external-audience/a-1/runs?limit=40&sortBy=-createdAt',
    ]);
    expect(aep.compat().runsListParams).toBe('accepted');
  });
});

describe('secrets in the rules an error lists', () => {
  it('a client secret the body writes with JSON escapes is scrubbed from each detail once parsed', async () => {
    // "\u0073hape" is "shape" once parsed: the body's text does not show the secret as such.
    const body =
      '{"type":"https://ns.adobe.com/aep/errors/100910-400","title":"Bad request","status":400,' +
      '"report":{"errors":[{"path":"description","message":"echo \\u0073hape-secret-value"}]}}';
    fake.script({ status: 400, body, headers: { 'content-type': 'application/json' } });
    const error = await failure(client().createAudience('prod', spec()));
    expect(error.details).toEqual([{ path: 'description', message: 'echo [REDACTED]' }]);
    expect(error.message).not.toContain('shape-secret-value');
  });
});

describe('secrets in the texts of an answer that succeeds', () => {
  it("a failed run's or create operation's failureReason that echoes a secret shows none of it", async () => {
    // The reason is kept in the state and shown by plans, apply and /status.
    const reason =
      'ingest failed: sent shape-secret-value, Authorization: Bearer eyJhbGci.abcdefgh.ijklmnop, https://u:pw-in-url-9@h.example/x';
    const shown = 'ingest failed: sent [REDACTED], Authorization: Bearer [REDACTED], https://h.example/x';
    fake.script(
      json(200, { runId: 'r1', status: 'FAILED', failureReason: reason }),
      json(200, { operationId: 'op1', status: 'FAILED', failureReason: reason }),
      json(200, { runs: [{ runId: 'r1', status: 'FAILED', failureReason: reason }] }),
    );
    const aep = client({ compat: { operationsPath: 'plural' } });
    expect(await aep.getRun('prod', 'a1', 'r1')).toMatchObject({ failureReason: shown });
    expect(await aep.getOperation('prod', 'op1')).toMatchObject({ failureReason: shown });
    expect((await aep.listRuns('prod', 'a1'))[0]).toMatchObject({ failureReason: shown });
  });
});
