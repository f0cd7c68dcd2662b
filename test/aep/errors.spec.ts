import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudienceSpec } from '../../src/manifest/schema.js';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { clientFor, createAndWait, failure, spec } from './helpers.js';

const BLOCKED = {
  clientId: 'blocked-client',
  clientSecret: 'blocked-secret-value',
  orgId: DEMO_CLIENT.orgId,
  allowed: false,
};

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    host: '127.0.0.1',
    port: 0,
    operationDelayMs: 5,
    runStageDelayMs: 200,
    clients: [DEMO_CLIENT, BLOCKED],
  });
});
afterAll(async () => {
  await emulator.close();
});

describe('each platform code of the reference appendix', () => {
  it('100910-400: the broken rules are listed', async () => {
    const client = clientFor(emulator);
    const body = { ...spec(), fields: [{ name: 'email', type: 'blob' }] } as unknown as AudienceSpec;
    const error = await failure(client.createAudience('prod', body));
    expect(error).toMatchObject({
      code: 'AEP_BAD_REQUEST',
      status: 400,
      platformCode: '100910-400',
      outcomeUnknown: false,
    });
    expect(error.details.length).toBeGreaterThan(0);
    expect(error.details[0]?.path).toMatch(/fields/);
    expect(error.message).toMatch(
      /refused the request as invalid.*createAudience in sandbox "prod".*HTTP 400, 100910-400/,
    );
    expect(error.requestId).toBeDefined();
    const logged = emulator.control.requestLog().find((entry) => entry.requestId === error.requestId);
    expect(logged?.errorCode).toBe('100910-400');
  });

  it('100921-401: wrong org, named, and no pointless token renewal', async () => {
    emulator.control.resetCounters();
    const client = clientFor(emulator, {
      defaultAccess: { credentials: { ...DEMO_CLIENT, orgId: 'SOMEONE0ELSE@AdobeOrg' } },
    });
    const error = await failure(client.getOperation('prod', 'x'));
    expect(error).toMatchObject({
      code: 'AEP_UNAUTHORIZED',
      status: 401,
      platformCode: '100921-401',
      attempts: 1,
    });
    expect(error.message).toMatch(/AEP_ORG_ID/);
    expect(emulator.control.counters().byEndpoint.imsToken.requests).toBe(1);
  });

  it('100922-401: the client is not allowed to use the API', async () => {
    const client = clientFor(emulator, { defaultAccess: { credentials: BLOCKED } });
    const error = await failure(client.getOperation('prod', 'x'));
    expect(error).toMatchObject({
      code: 'AEP_FORBIDDEN',
      status: 401,
      platformCode: '100922-401',
      attempts: 1,
    });
    expect(error.message).toMatch(/client blocked-client is not allowed to use the External Audiences API/);
  });

  it('100940-404: an unknown operation, run or audience; DELETE included', async () => {
    const client = clientFor(emulator);
    // One at a time: made at once, a call that fails while an earlier one is awaited is an
    // unhandled rejection.
    for (const call of [
      () => client.getOperation('prod', 'no-such-operation'),
      () => client.getRun('prod', 'no-such-audience', 'no-such-run'),
      () => client.deleteAudience('prod', 'no-such-audience'),
      () => client.patchAudience('prod', 'no-such-audience', { description: 'x' }),
    ]) {
      const error = await failure(call());
      expect(error).toMatchObject({
        code: 'AEP_NOT_FOUND',
        status: 404,
        platformCode: '100940-404',
        outcomeUnknown: false,
      });
    }
  });

  it('100950-409: a duplicate name', async () => {
    const client = clientFor(emulator);
    const body = spec();
    await createAndWait(client, 'prod', body);
    const error = await failure(client.createAudience('prod', body));
    expect(error).toMatchObject({ code: 'AEP_CONFLICT', status: 409, platformCode: '100950-409' });
    expect(error.message).toMatch(/already exists/);
  });

  it('100960-422: a PATCH of what cannot change, and a run while one is in progress', async () => {
    const client = clientFor(emulator);
    const audienceId = await createAndWait(client, 'prod', spec());
    const patch = await failure(client.patchAudience('prod', audienceId, { name: 'renamed' }));
    expect(patch).toMatchObject({ code: 'AEP_UNPROCESSABLE', status: 422, platformCode: '100960-422' });
    await client.startRun('prod', audienceId, { dataFilterStartTime: 0 });
    const run = await failure(client.startRun('prod', audienceId, { dataFilterStartTime: 0 }));
    expect(run).toMatchObject({
      status: 422,
      platformCode: '100960-422',
      outcomeUnknown: false,
      attempts: 1,
    });
    expect(run.message).toMatch(/in progress/);
  });

  it('100970-500 and 100970-502 after the retries', async () => {
    const client = clientFor(emulator, { retry: { limit: 1, baseDelayMs: 1, maxDelayMs: 2 } });
    emulator.control.queueFault({ kind: 'error500', endpoint: 'getOperation', count: 2 });
    expect(await failure(client.getOperation('prod', 'x'))).toMatchObject({
      code: 'AEP_SERVER_ERROR',
      platformCode: '100970-500',
      attempts: 2,
    });
    emulator.control.queueFault({ kind: 'error502', endpoint: 'getOperation', count: 2 });
    expect(await failure(client.getOperation('prod', 'x'))).toMatchObject({
      code: 'AEP_SERVER_ERROR',
      status: 502,
      platformCode: '100970-502',
    });
  });

  it('an unknown sandbox without default credentials is a usage error', async () => {
    const client = clientFor(emulator, {
      defaultAccess: undefined,
      sandboxes: { prod: { credentials: DEMO_CLIENT } },
    });
    await expect(client.getOperation('dev', 'x')).rejects.toMatchObject({
      name: 'UsageError',
      code: 'AEP_SANDBOX_UNKNOWN',
      message: expect.stringMatching(/sandbox "dev".*configured: prod/) as unknown,
    });
  });
});
