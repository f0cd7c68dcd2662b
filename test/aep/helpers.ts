import { createAepClient, type AepHttpClient } from '../../src/aep/client.js';
import { AepError } from '../../src/aep/errors.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import { AudienceSpec } from '../../src/manifest/schema.js';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { reply, startAlteringProxy } from '../helpers/altering-proxy.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

/**
 * A client of `emulator` with fast retries and a budget that never gets in the way (unless
 * overridden). Its operations path is set (plural, as `api.operationsPath: plural` would), so a
 * lookup of an unknown operation is one request: tests of retries, tokens and budgets count
 * requests. test/aep/tolerant.spec.ts passes its own `compat`.
 */
export function clientFor(emulator: RunningEmulator, overrides: AepClientOptions = {}): AepHttpClient {
  const demo = emulator.clients[0] ?? DEMO_CLIENT;
  return createAepClient({
    baseUrl: emulator.apiBaseUrl,
    imsUrl: emulator.imsUrl,
    defaultAccess: {
      credentials: { clientId: demo.clientId, clientSecret: demo.clientSecret, orgId: demo.orgId },
      budget: { requests: 1000, intervalMs: 1000, concurrency: 16 },
    },
    retry: { baseDelayMs: 5, maxDelayMs: 40, rateLimitPauseMs: 50 },
    timeouts: { responseMs: 3000, requestMs: 5000 },
    compat: { operationsPath: 'plural' },
    ...overrides,
  });
}

let sequence = 0;

/** A valid create body with a unique name. */
export function spec(overrides: Record<string, unknown> = {}): AudienceSpec {
  sequence += 1;
  const name = `Audience ${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
  return AudienceSpec.parse(audienceBody({ name, ...overrides }));
}

/** The call's failure, which must be an AepError. */
export async function failure(promise: Promise<unknown>): Promise<AepError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AepError)) throw new Error(`expected an AepError, got ${String(error)}`);
  return error;
}

/** Polls the operation until it is no longer PROCESSING; returns the audience id. */
export async function createAndWait(
  client: AepHttpClient,
  sandbox: string,
  body: AudienceSpec,
): Promise<string> {
  const created = await client.createAudience(sandbox, body);
  for (let i = 0; i < 500; i += 1) {
    const operation = await client.getOperation(sandbox, created.operationId);
    if (operation.status === 'SUCCESS' && operation.audienceId) return operation.audienceId;
    if (operation.status === 'FAILED') throw new Error(`operation failed: ${JSON.stringify(operation)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('operation did not finish');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * An emulator (operations done in 10 ms) behind an altering proxy, a client of it through the
 * proxy (clientFor, `overrides` added), an audience created in prod, and `answering(runs)`:
 * every GET of a runs list answered `{ runs }` from then on. The proxy is closed after `body`.
 */
export async function withRunsListAnswered(
  overrides: AepClientOptions,
  body: (given: {
    aep: AepHttpClient;
    audienceId: string;
    answering: (runs: unknown) => void;
  }) => Promise<void>,
): Promise<void> {
  await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
    const proxy = await startAlteringProxy(emulator.url);
    try {
      const aep = clientFor(emulator, {
        baseUrl: `${proxy.url}/data/core/ais`,
        imsUrl: `${proxy.url}/ims/token/v3`,
        ...overrides,
      });
      const audienceId = await createAndWait(aep, 'prod', spec());
      const answering = (runs: unknown) =>
        proxy.alter((answer) =>
          answer.method === 'GET' && answer.path.endsWith('/runs') ? reply(200, { runs }) : undefined,
        );
      await body({ aep, audienceId, answering });
    } finally {
      await proxy.close();
    }
  });
}
