import { describe, expect, it } from 'vitest';
import { audienceBody, useEmulator, withEmulator } from '../helpers/with-emulator.js';

async function admin(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}/_emulator${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown>,
  };
}

describe('admin endpoint /_emulator', () => {
  it('is off unless enabled', async () => {
    await withEmulator({}, async (emulator) => {
      expect((await admin(emulator.url, 'GET', '/settings')).status).toBe(404);
    });
  });

  const emulator = useEmulator({ admin: true });

  it('reads and changes settings; refuses invalid ones with 400', async () => {
    const { url } = emulator();
    const current = await admin(url, 'GET', '/settings');
    expect(current.body).toMatchObject({ latencyMs: 0, rateLimit: null, queuedFaults: [] });
    const changed = await admin(url, 'PATCH', '/settings', {
      latencyMs: 5,
      rateLimit: { perSecond: 100 },
      faults: { error500: 0.1, seed: 7 },
      guardrails: { runsPerAudience: 3 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      latencyMs: 5,
      rateLimit: { perSecond: 100, burst: 100 },
      faults: { error500: 0.1, error502: 0, seed: 7 },
      guardrails: { runsPerAudience: 3, runsPerDayPerSandbox: 100 },
    });
    expect(emulator().control.settings().latencyMs).toBe(5);
    const invalid = await admin(url, 'PATCH', '/settings', { faults: { error500: 2 } });
    expect(invalid.status).toBe(400);
    expect(String(invalid.body['error'])).toMatch(/error500/);
    const unknown = await admin(url, 'PATCH', '/settings', { colour: 'red' });
    expect(unknown.status).toBe(400);
    await admin(url, 'PATCH', '/settings', { latencyMs: 0, rateLimit: null, faults: {} });
    expect(emulator().control.settings().rateLimit).toBeNull();
  });

  it('changes a reading of the page (compat, merged) and refuses one it does not know', async () => {
    const { url } = emulator();
    const changed = await admin(url, 'PATCH', '/settings', { compat: { deletePath: 'slash' } });
    expect(changed.body).toMatchObject({ compat: { deletePath: 'slash', operationsPath: 'both' } });
    const id = await emulator().createAudience(audienceBody());
    expect((await emulator().request('DELETE', `/external-audience/${id}`)).status).toBe(404);
    expect((await emulator().request('DELETE', `/external-audience/${id}/`)).status).toBe(204);
    const invalid = await admin(url, 'PATCH', '/settings', { compat: { deletePath: 'sometimes' } });
    expect(invalid.status).toBe(400);
    await admin(url, 'PATCH', '/settings', { compat: { deletePath: 'both' } });
  });

  it('queues and clears one-shot faults', async () => {
    const { url } = emulator();
    const queued = await admin(url, 'POST', '/faults', {
      kind: 'error500',
      endpoint: 'getOperation',
      count: 2,
    });
    expect(queued.body).toEqual({ queuedFaults: [{ kind: 'error500', endpoint: 'getOperation', count: 2 }] });
    expect((await emulator().request('GET', '/external-audiences/operations/x')).status).toBe(500);
    expect((await admin(url, 'POST', '/faults', { kind: 'meteor' })).status).toBe(400);
    expect((await admin(url, 'DELETE', '/faults')).status).toBe(204);
    expect((await emulator().request('GET', '/external-audiences/operations/x')).status).toBe(404);
  });

  it('queues a refusal with a 4xx status, and only with one', async () => {
    const { url } = emulator();
    const refusal = { kind: 'clientError', endpoint: 'startRun', status: 403, after: 2 };
    expect((await admin(url, 'POST', '/faults', refusal)).body).toEqual({
      queuedFaults: [{ ...refusal, count: 1 }],
    });
    const refused = [
      [{ kind: 'clientError' }, 'status: is required for clientError'],
      [{ kind: 'clientError', status: 500 }, 'status: must be a 4xx status'],
      [{ kind: 'error500', status: 403 }, 'status: is for clientError only'],
      [
        { kind: 'clientError', status: 403, errorCode: 'a b' },
        'errorCode: must be letters, digits and dashes',
      ],
    ] as const;
    for (const [fault, message] of refused) {
      const answer = await admin(url, 'POST', '/faults', fault);
      expect([answer.status, (answer.body as { error: string }).error]).toEqual([
        400,
        expect.stringContaining(message),
      ]);
    }
    expect((await admin(url, 'DELETE', '/faults')).status).toBe(204);
  });

  it('shows counters per endpoint and a request log without secrets, and resets them', async () => {
    const { url } = emulator();
    expect((await admin(url, 'POST', '/counters/reset')).status).toBe(204);
    const token = await emulator().token();
    await emulator().request('GET', '/external-audiences/operations/y');
    const counters = await admin(url, 'GET', '/counters');
    expect(counters.body).toMatchObject({
      requests: 1,
      byEndpoint: { getOperation: { requests: 1, byStatus: { '404': 1 } } },
    });
    const log = await admin(url, 'GET', '/requests?limit=5');
    const entries = log.body['requests'] as Record<string, unknown>[];
    expect(entries.at(-1)).toMatchObject({
      method: 'GET',
      path: '/data/core/ais/external-audiences/operations/y',
      endpoint: 'getOperation',
      status: 404,
      errorCode: '100940-404',
      orgId: emulator().client.orgId,
      sandbox: 'prod',
    });
    const text = JSON.stringify(log.body);
    expect(text).not.toContain(token);
    expect(text).not.toContain(emulator().client.clientSecret);
    await admin(url, 'POST', '/counters/reset');
    expect((await admin(url, 'GET', '/counters')).body['requests']).toBe(0);
    expect((await admin(url, 'GET', '/requests')).body['requests']).toEqual([]);
  });

  it('lists audiences, operations and runs of a sandbox, and resets the data', async () => {
    const { url } = emulator();
    const id = await emulator().createAudience(audienceBody({ name: 'Listed' }), { sandbox: 'listing' });
    await emulator().request('POST', `/external-audience/${id}/runs`, {
      sandbox: 'listing',
      body: { dataFilterStartTime: 1 },
    });
    const audiences = await admin(url, 'GET', '/audiences?sandbox=listing');
    expect(audiences.body['audiences']).toEqual([
      expect.objectContaining({ audienceId: id, audienceName: 'Listed' }),
    ]);
    const org = encodeURIComponent(emulator().client.orgId);
    const operations = await admin(url, 'GET', `/operations?sandbox=listing&orgId=${org}`);
    expect(operations.body['operations']).toHaveLength(1);
    const runs = await admin(url, 'GET', `/runs?sandbox=listing&audienceId=${id}`);
    expect(runs.body['runs']).toHaveLength(1);
    expect((await admin(url, 'GET', '/audiences')).status).toBe(400);
    expect((await admin(url, 'POST', '/reset')).status).toBe(204);
    expect((await admin(url, 'GET', '/audiences?sandbox=listing')).body['audiences']).toEqual([]);
  });
});

describe('admin: an audience of a name the sandbox already holds', () => {
  const emulator = useEmulator({ admin: true, operationDelayMs: 0 });

  it('is refused, unless asked for with duplicateName; the name stays the first one’s', async () => {
    const { url } = emulator();
    const body = audienceBody({ name: 'Twice' });
    const first = await emulator().createAudience(body);
    const refused = await admin(url, 'POST', '/audiences?sandbox=prod', { audience: body });
    expect(refused.status).toBe(400);
    expect(String(refused.body['error'])).toMatch(/already exists/);
    const twin = await admin(url, 'POST', '/audiences?sandbox=prod', {
      audience: body,
      createdBy: 'other@AdobeID',
      duplicateName: true,
    });
    expect(twin.status).toBe(201);
    expect(twin.body).toMatchObject({ name: 'Twice', createdBy: 'other@AdobeID' });
    const named = emulator()
      .control.listAudiences(emulator().client.orgId, 'prod')
      .filter((audience) => audience.audienceName === 'Twice');
    expect(named.map((audience) => audience.audienceId).sort()).toEqual([first, twin.body['id']].sort());
    // Deleting the twin frees nothing: the public API still refuses the name.
    expect((await admin(url, 'DELETE', `/audiences/${String(twin.body['id'])}?sandbox=prod`)).status).toBe(
      204,
    );
    expect((await emulator().request('POST', '/external-audience/', { body })).status).toBe(409);
  });
});
