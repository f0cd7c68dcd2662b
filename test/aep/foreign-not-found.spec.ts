import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAepClient } from '../../src/aep/client.js';
import { aepFailure, isDuplicate } from '../../src/apply/aep-failure.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { startGateway, type GatewayPage } from '../helpers/gateway.js';
import { manifestObject } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';
import { json, startFakeAep, type FakeAep, type Scripted } from './fake-aep.js';
import { clientFor, failure, spec } from './helpers.js';

/**
 * The service's errors are JSON objects; a 404 of any other body comes from something in
 * between (a proxy, a load balancer, a base URL pointing at a web server). Read as "not
 * found", it forgot the record of a removed manifest whose audience stayed ("already gone"),
 * and a refresh planned a re-create. It is a failed call: AEP_UNEXPECTED_RESPONSE.
 */
const NGINX = '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>';
const SECRET = 'foreign-secret-value';

describe('a 404 whose body is not a JSON object (a scripted server)', () => {
  let fake: FakeAep;
  beforeAll(async () => {
    fake = await startFakeAep({ tokenPrefix: 'foreign-token' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const client = () =>
    createAepClient({
      baseUrl: fake.apiBaseUrl,
      imsUrl: fake.imsUrl,
      defaultAccess: {
        credentials: { clientId: 'foreign-client', clientSecret: SECRET, orgId: 'FOREIGN@AdobeOrg' },
      },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
  const page = (body: string | undefined, type?: string): Scripted => ({
    status: 404,
    ...(body === undefined ? {} : { body }),
    ...(type === undefined ? {} : { headers: { 'content-type': type } }),
  });

  it.each([
    ['an HTML page', page(NGINX, 'text/html'), 'a body of type text/html ("404 Not Found")'],
    ['plain text', page('Not Found', 'text/plain; charset=utf-8'), 'a body of type text/plain ("Not Found")'],
    ['an empty body', page(undefined), 'an empty body (type text/plain)'],
    ['a JSON array', page('[]', 'application/json'), 'a body of type application/json ("[]")'],
    [
      'unparseable JSON',
      page('{"status":404', 'application/json'),
      'a body of type application/json ("{"status":404")',
    ],
  ])(
    '%s on DELETE: a failed call, not "gone", and the other spelling is not tried',
    async (_, answer, said) => {
      fake.script(answer);
      const error = await failure(client().deleteAudience('prod', 'a-1'));
      expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status: 404, attempts: 1 });
      expect(error.message).toContain(
        `DELETE /data/core/ais/external-audience/a-1 answered HTTP 404 with ${said}`,
      );
      expect(error.message).toContain('Check the base URL (AEP_BASE_URL');
      expect(error.message).toContain('HTTPS_PROXY');
      expect(error.message).not.toMatch(/\n/);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain('foreign-token');
      expect(fake.requests).toHaveLength(1);
    },
  );

  it('the service JSON 404 at one DELETE spelling and a page at the other: not "gone"', async () => {
    fake.script(json(404, { title: 'Not Found' }), page(NGINX, 'text/html'));
    const error = await failure(client().deleteAudience('prod', 'a-2'));
    expect(error.code).toBe('AEP_UNEXPECTED_RESPONSE');
    expect(error.message).toContain('DELETE /data/core/ais/external-audience/a-2/ answered HTTP 404');
    fake.script(json(404, {}), json(404, {}));
    // The service's own 404, at both spellings: gone, whatever the JSON says.
    expect(await failure(client().deleteAudience('prod', 'a-3'))).toMatchObject({ code: 'AEP_NOT_FOUND' });
  });

  it('a 409 page on a create: a failed call whose outcome is unknown, not a name taken', async () => {
    fake.script({
      status: 409,
      body: '<html><body>409 Conflict</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const error = await failure(client().createAudience('prod', spec()));
    expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status: 409, outcomeUnknown: true });
    expect(error.message).toContain(
      'POST /data/core/ais/external-audience/ answered HTTP 409 with a body of type text/html ("409 Conflict")',
    );
    expect(error.message).toContain('nothing is read as a conflict (a name taken)');
    expect(isDuplicate(aepFailure(error))).toBe(false);
    // The service's own 409, with or without its code: a name taken.
    fake.script(json(409, { type: 'https://ns.adobe.com/aep/errors/100950-409', status: 409 }));
    expect(isDuplicate(aepFailure(await failure(client().createAudience('prod', spec()))))).toBe(true);
    fake.script(json(409, { title: 'Conflict' }));
    expect(isDuplicate(aepFailure(await failure(client().createAudience('prod', spec()))))).toBe(true);
  });

  it('a page on an operation lookup: thrown, the other spelling not tried', async () => {
    fake.script(page(NGINX, 'text/html'));
    const error = await failure(client().getOperation('prod', 'op-1'));
    expect(error.code).toBe('AEP_UNEXPECTED_RESPONSE');
    expect(fake.requests.map((request) => request.url)).toEqual([
      '/data/core/ais/external-audiences/operations/op-1',
    ]);
  });
});

describe('a proxy 404 page in front of the emulator (fault notFoundPage)', () => {
  it('the emulator answers its own 404s as JSON objects, an unknown route included', async () => {
    await withEmulator({}, async (emulator) => {
      for (const path of [
        '/nowhere',
        '/external-audience/unknown-id/runs/r',
        '/external-audiences/operations/x',
      ]) {
        const answer = await emulator.request('GET', path);
        expect(answer.status).toBe(404);
        expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
        expect(answer.body).toMatchObject({ status: 404, report: { errorCode: '100940-404' } });
      }
      expect(await clientFor(emulator).getAudience('prod', 'unknown-id')).toBeUndefined();
    });
  });

  it('an audience lookup meeting it fails; it is not "no such audience"', async () => {
    await withEmulator({}, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'getAudience' });
      const error = await failure(clientFor(emulator).getAudience('prod', id));
      expect(error.code).toBe('AEP_UNEXPECTED_RESPONSE');
      expect(error.message).toContain(
        `GET /data/core/ups/audiences/${id} answered HTTP 404 with a body of type text/html`,
      );
      expect((await clientFor(emulator).getAudience('prod', id))?.id).toBe(id);
    });
  });

  it("a removed manifest's DELETE meeting it keeps the record and fails with the message", async () => {
    await withExecutor({}, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const before = await env.store().get('prod', 'silver');
      // At both spellings of the DELETE path: what a proxy that serves neither does.
      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'deleteAudience', count: 2 });

      const outcome = await env.apply([gold]);
      const removal = outcome.report?.results.find((result) => result.step.key === 'silver');
      expect(removal?.status).toBe('failed');
      expect(removal?.message).toContain(
        `DELETE failed: DELETE /data/core/ais/external-audience/${before?.audienceId} answered HTTP 404 with a body of type text/html`,
      );
      expect(await env.store().get('prod', 'silver')).toEqual(before);
      const names = () =>
        env.emulator.control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((a) => a.audienceName)
          .sort();
      expect(names()).toEqual(['Audience gold', 'Audience silver']);

      env.emulator.control.clearFaults();
      const retried = await env.apply([gold]);
      expect(retried.report?.results.map((result) => result.status)).toEqual(['applied']);
      expect(names()).toEqual(['Audience gold']);
      expect(await env.store().get('prod', 'silver')).toBeUndefined();
    });
  });

  it('a refresh whose lookup meets it plans no re-create', async () => {
    // Bulk-get leaves the inactive audience out, so the refresh looks it up on its own.
    await withExecutor({ compat: { bulkGetInactive: 'omitted' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      await env.apply([gold]);
      const id = (await env.store().get('prod', 'gold'))?.audienceId ?? 'missing';
      env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', id, { lifecycleState: 'inactive' });
      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'getAudience' });

      await expect(env.apply([gold], { refresh: true })).rejects.toMatchObject({
        code: 'REFRESH_FAILED',
        message: expect.stringContaining(`GET /data/core/ups/audiences/${id} answered HTTP 404`) as unknown,
      });
      // Read again, it is found deactivated: a blocked update (REVIEW-37c M-2), no re-create.
      const again = await env.apply([gold], { refresh: true });
      expect(
        again.plan.steps.map(
          (step) => `${step.kind} ${step.key} ${step.blocked === undefined ? 'open' : 'blocked'}`,
        ),
      ).toEqual(['update gold blocked']);
    });
  });
});

describe("a proxy's page in front of the emulator, and AEP's clock", () => {
  it("its Date is not taken for AEP's clock; an error in AEP's JSON still shows it", async () => {
    const minute = 60_000;
    // AEP's clock is 30 minutes ahead of this host's; the proxy's, 2 hours behind.
    await withEmulator({ clockOffsetMs: 30 * minute }, async (emulator) => {
      const gateway = await startGateway(emulator.url);
      try {
        const client = clientFor(emulator, { baseUrl: `${gateway.url}/data/core/ais` });
        const offsetMinutes = () => {
          const reading = client.serviceClock();
          return reading === undefined ? undefined : Math.round(reading.offsetMs / minute);
        };
        // As the clock read before creates reads: one attempt.
        const read = () => failure(client.listAudiences('prod', { limit: 1 }, { once: true }));
        const pages: Omit<GatewayPage, 'date'>[] = [
          { status: 502, type: 'text/html', body: NGINX.replaceAll('404 Not Found', '502 Bad Gateway') },
          { status: 503, body: '' },
          { status: 407, type: 'text/html', body: '<html><body>Proxy Authentication Required</body></html>' },
          // JSON a gateway writes itself: AWS API Gateway's, Kong's, Apigee's, an empty object.
          { status: 502, type: 'application/json', body: '{"message": "Internal server error"}' },
          {
            status: 503,
            type: 'application/json',
            body: '{"message":"failure to get a peer from the ring-balancer"}',
          },
          {
            status: 503,
            type: 'application/json',
            body: '{"fault":{"faultstring":"The Service is temporarily unavailable"}}',
          },
          { status: 504, type: 'application/json', body: '{}' },
          // An intermediary's own RFC 7807 problems (Spring's, ASP.NET's): AEP's shape, no AEP code.
          {
            status: 503,
            type: 'application/problem+json',
            body: '{"type":"about:blank","title":"Service Unavailable","status":503}',
          },
          {
            status: 502,
            type: 'application/problem+json',
            body: '{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.3","title":"Bad Gateway","status":502}',
          },
          // Codes of the intermediary's own where AEP's shape puts one.
          {
            status: 503,
            type: 'application/problem+json',
            body: '{"type":"https://gateway.example/errors/upstream-timeout","title":"Upstream timed out"}',
          },
          {
            status: 502,
            type: 'application/problem+json',
            body: '{"type":"about:blank","code":"E502","title":"Bad Gateway"}',
          },
          // A success of a machine in between: a captive portal's login page.
          { status: 200, type: 'text/html', body: '<html><body>Sign in to the network</body></html>' },
        ];
        const proxyAnswers = (page: Omit<GatewayPage, 'date'>) =>
          gateway.choose(() => ({ ...page, date: new Date(Date.now() - 120 * minute) }));

        for (const page of pages) {
          proxyAnswers(page);
          expect((await read()).status).toBe(page.status);
          expect([page.status, offsetMinutes()]).toEqual([page.status, undefined]);
        }

        // A captive portal: a redirect to its login page, a 200 of its own.
        gateway.choose((_method, path) => ({
          ...(path.startsWith('/login')
            ? { status: 200, type: 'text/html', body: '<html><body>Sign in to the network</body></html>' }
            : { status: 302, body: '', location: `${gateway.url}/login` }),
          date: new Date(Date.now() - 120 * minute),
        }));
        await read();
        expect(offsetMinutes()).toBeUndefined();

        gateway.choose(() => 'pass');
        // AEP's refusal, with a code of AEP's form (the gateway's 403003: an invalid API key).
        emulator.control.queueFault({
          kind: 'clientError',
          status: 403,
          endpoint: 'listAudiences',
          errorCode: '403003',
        });
        expect((await read()).status).toBe(403);
        expect(offsetMinutes()).toBe(30);

        for (const page of pages) {
          proxyAnswers(page);
          expect((await read()).status).toBe(page.status);
          expect([page.status, offsetMinutes()]).toEqual([page.status, 30]);
        }
      } finally {
        await gateway.close();
      }
    });
  });
});

describe("AEP's errors with a letter-prefixed code, and AEP's clock", () => {
  // The page's own codes are `100950-409`; other parts of AEP name their errors with a letter
  // prefix in the same namespace: Adobe's Edge Network troubleshooting page shows
  // `"type": "https://ns.adobe.com/aep/errors/EXEG-0104-422"`. Such an answer is AEP's.
  it('gives a reading; the same form of code from a machine in between does not', async () => {
    const minute = 60_000;
    await withEmulator({ clockOffsetMs: 30 * minute }, async (emulator) => {
      const gateway = await startGateway(emulator.url);
      try {
        const client = clientFor(emulator, { baseUrl: `${gateway.url}/data/core/ais` });
        const offsetMinutes = () => {
          const reading = client.serviceClock();
          return reading === undefined ? undefined : Math.round(reading.offsetMs / minute);
        };
        const read = () => failure(client.listAudiences('prod', { limit: 1 }, { once: true }));
        const pages: Omit<GatewayPage, 'date'>[] = [
          // AEP's shape and a code of that form, in a namespace of the intermediary's own.
          {
            status: 502,
            type: 'application/problem+json',
            body: '{"type":"https://gateway.example/errors/EXEG-0502-502","title":"Bad Gateway","status":502,"report":{"errorCode":"EXEG-0502-502"}}',
          },
          // The gateway's shape (whose codes are six digits) and other JSON, with such a code.
          {
            status: 503,
            type: 'application/json',
            body: '{"error_code":"EXEG-0503-503","message":"Service unavailable"}',
          },
          { status: 503, type: 'application/json', body: '{"code":"UAUD-1234-503","message":"Try later"}' },
          // An HTML page naming AEP's namespace.
          {
            status: 502,
            type: 'text/html',
            body: '<html><body>https://ns.adobe.com/aep/errors/EXEG-0502-502</body></html>',
          },
        ];
        for (const page of pages) {
          gateway.choose(() => ({ ...page, date: new Date(Date.now() - 120 * minute) }));
          expect((await read()).status).toBe(page.status);
          expect([page.body, offsetMinutes()]).toEqual([page.body, undefined]);
        }

        gateway.choose(() => 'pass');
        emulator.control.queueFault({
          kind: 'clientError',
          status: 400,
          endpoint: 'listAudiences',
          errorCode: 'EXEG-0100-400',
        });
        expect((await read()).status).toBe(400);
        expect(offsetMinutes()).toBe(30);
      } finally {
        await gateway.close();
      }
    });
  });
});

describe('a redirect to another host', () => {
  // got sends a redirect's request through the beforeRequest hook again, which sets the bearer
  // token: followed, a redirect to another host (a proxy's, a captive portal's, a base URL
  // that moved) was sent the token, and an IMS redirect (307) the client secret in its body.
  let fake: FakeAep;
  let elsewhere: FakeAep;
  beforeAll(async () => {
    fake = await startFakeAep({ tokenPrefix: 'redirected-token' });
    elsewhere = await startFakeAep();
  });
  afterAll(async () => {
    await fake.close();
    await elsewhere.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    elsewhere.requests.length = 0;
  });
  const client = () =>
    createAepClient({
      baseUrl: fake.apiBaseUrl,
      imsUrl: fake.imsUrl,
      defaultAccess: {
        credentials: { clientId: 'redirected-client', clientSecret: SECRET, orgId: 'FOREIGN@AdobeOrg' },
      },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });

  it.each([301, 302, 307, 308])(
    'an API call answered %i: not followed, a failed call naming the redirect, the token sent nowhere else',
    async (status) => {
      fake.script({
        status,
        headers: { location: `${elsewhere.apiBaseUrl}/external-audience/a-1/runs?token=t0p` },
      });
      const error = await failure(client().listRuns('prod', 'a-1'));
      expect(elsewhere.requests.map((request) => request.headers.authorization)).toEqual([]);
      expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status, outcomeUnknown: false });
      expect(error.message).toContain(
        `with HTTP ${status}, a redirect to ${elsewhere.apiBaseUrl}/external-audience/a-1/runs`,
      );
      expect(error.message).toContain('?token=*** that audiencectl does not follow');
      expect(error.message).not.toContain('t0p');
      expect(error.message).not.toContain('redirected-token');
    },
  );

  it("a redirect's Location is shown cut short, on one line", async () => {
    fake.script({ status: 302, headers: { location: `https://elsewhere.example/${'x'.repeat(5_000)}` } });
    const error = await failure(client().listRuns('prod', 'a-1'));
    // 200 characters shown: the origin's 26, 173 of the path, the ellipsis.
    expect(error.message).toContain(`a redirect to https://elsewhere.example/${'x'.repeat(173)}… that`);
    expect(error.message.length).toBeLessThan(1_000);
  });

  it('a DELETE answered 307: not read as deleted, the redirect said, sent nowhere else', async () => {
    fake.script({ status: 307, headers: { location: `${elsewhere.apiBaseUrl}/external-audience/a-1` } });
    const error = await failure(client().deleteAudience('prod', 'a-1'));
    expect(error).toMatchObject({ code: 'AEP_BAD_RESPONSE', status: 307, outcomeUnknown: true });
    expect(error.message).toContain('with HTTP 307 but a redirect, which audiencectl does not follow');
    expect(error.message).toContain('it is not read as deleted');
    expect(elsewhere.requests).toEqual([]);
  });

  it('a create, a PATCH and a run request answered 307: sent nowhere else, their outcome unknown', async () => {
    const to = { status: 307, headers: { location: `${elsewhere.apiBaseUrl}/external-audience/` } };
    const api = client();
    fake.script(to, to, to);
    const calls = [
      failure(api.createAudience('prod', spec())),
      failure(api.patchAudience('prod', 'a-1', { description: 'changed' })),
      failure(api.startRun('prod', 'a-1', { dataFilterStartTime: 0 })),
    ];
    for (const error of await Promise.all(calls))
      expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE', status: 307, outcomeUnknown: true });
    expect(elsewhere.requests).toEqual([]);
  });

  it.each([302, 307])(
    'the IMS token request answered %i: not followed, said, remembered, the secret sent nowhere else',
    async (status) => {
      fake.imsScript({ status, headers: { location: elsewhere.imsUrl } });
      const api = client();
      const asked = fake.tokenRequests();
      const error = await failure(api.listAudiences('prod', { limit: 1 }));
      expect(error.message).toContain(`answered HTTP ${status}, a redirect that audiencectl does not follow`);
      expect(error.message).not.toContain(SECRET);
      // A second call meets the same failure without asking IMS again (asking would meet it again).
      expect((await failure(api.listAudiences('prod', { limit: 1 }))).message).toBe(error.message);
      expect(fake.tokenRequests() - asked).toBe(1);
      expect(elsewhere.tokenRequests()).toBe(0);
      expect(fake.requests).toEqual([]);
    },
  );
});
