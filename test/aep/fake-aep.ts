import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createAepClient, type AepHttpClient } from '../../src/aep/client.js';
import type { AepCredentials } from '../../src/aep/credentials.js';
import type { AepClientOptions } from '../../src/aep/options.js';

/** What the fake server answers: status, headers and a raw body (any shape, any content type). */
export type Scripted = { status: number; body?: string; headers?: Record<string, string> };

export type Recorded = {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  time: number;
};

/**
 * A tiny server for what the emulator cannot produce: error bodies of other shapes, a 401
 * with a gateway body, 429 without Retry-After, malformed successes. It serves an IMS token
 * endpoint too (token `token-<n>`, counted) and answers API calls from a script.
 */
export type FakeAep = {
  url: string;
  apiBaseUrl: string;
  imsUrl: string;
  requests: Recorded[];
  tokenRequests: () => number;
  /** Answers for the next IMS token requests, in order; then a token. */
  imsScript: (...answers: Scripted[]) => void;
  /** Answers for the next calls (any path), in order; then `fallback`. */
  script: (...answers: Scripted[]) => void;
  fallback: (answer: Scripted | ((request: Recorded) => Scripted)) => void;
  close: () => Promise<void>;
};

export async function startFakeAep(options: { tokenPrefix?: string } = {}): Promise<FakeAep> {
  const tokenPrefix = options.tokenPrefix ?? 'token';
  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  const requests: Recorded[] = [];
  const queue: Scripted[] = [];
  const imsQueue: Scripted[] = [];
  let fallback: Scripted | ((request: Recorded) => Scripted) = { status: 200, body: '{}' };
  let tokens = 0;

  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/ims/token/v3', (_request, reply) => {
    tokens += 1;
    const scripted = imsQueue.shift();
    if (scripted) {
      void reply
        .code(scripted.status)
        .headers(scripted.headers ?? {})
        .send(scripted.body ?? '');
      return;
    }
    void reply.header('content-type', 'application/json').send(
      JSON.stringify({
        access_token: `${tokenPrefix}-${tokens}-abcdefgh`,
        token_type: 'bearer',
        expires_in: 86400,
      }),
    );
  });
  app.all('/data/core/ais/*', (request, reply) => {
    const recorded: Recorded = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: typeof request.body === 'string' ? request.body : (JSON.stringify(request.body) ?? ''),
      time: Date.now(),
    };
    requests.push(recorded);
    const answer = queue.shift() ?? (typeof fallback === 'function' ? fallback(recorded) : fallback);
    void reply
      .code(answer.status)
      .headers(answer.headers ?? {})
      .send(answer.body ?? '');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiBaseUrl: `${url}/data/core/ais`,
    imsUrl: `${url}/ims/token/v3`,
    requests,
    tokenRequests: () => tokens,
    imsScript: (...answers) => imsQueue.push(...answers),
    script: (...answers) => queue.push(...answers),
    fallback: (answer) => {
      fallback = answer;
    },
    close: () => app.close(),
  };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Scripted => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

/**
 * A client of the fake service: a generous request budget and quick retries, so that what a
 * spec counts is the requests its answers call for, not the budget's or a backoff's waits.
 */
export function clientOfFake(
  fake: FakeAep,
  credentials: AepCredentials = {
    clientId: 'fake-client',
    clientSecret: 'fake-secret-value',
    orgId: 'FAKE@AdobeOrg',
  },
  overrides: AepClientOptions = {},
): AepHttpClient {
  return createAepClient({
    baseUrl: fake.apiBaseUrl,
    imsUrl: fake.imsUrl,
    defaultAccess: { credentials, budget: { requests: 1000, intervalMs: 1000, concurrency: 8 } },
    retry: { baseDelayMs: 1, maxDelayMs: 5, rateLimitPauseMs: 200 },
    ...overrides,
  });
}

/** A runs list's limit/sortBy refused, as a service that does not take the page's commented-out parameters answers. */
export const LIMIT_REFUSED: Scripted = json(400, {
  type: 'https://ns.adobe.com/aep/errors/100910-400',
  title: 'Bad Request',
  status: 400,
  report: {
    errorCode: '100910-400',
    details: [{ path: 'limit', message: 'is not a known query parameter' }],
  },
});
