import { describe, expect, it } from 'vitest';
import { anyString } from './matchers.js';
import { audienceBody, useEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { report: { errorCode: string } };
type Operation = Record<string, unknown> & { status: string };

describe('create operations: asynchronous, then SUCCESS or FAILED', () => {
  const emulator = useEmulator({ operationDelayMs: 150 });

  async function create(body: Record<string, unknown>) {
    return emulator().request('POST', '/external-audience/', { body });
  }

  /** Operations created inside `fn` stay PROCESSING for a second, however loaded the machine. */
  async function slowly<T>(fn: () => Promise<T>): Promise<T> {
    emulator().control.setDelays({ operationDelayMs: 1000 });
    try {
      return await fn();
    } finally {
      emulator().control.setDelays({ operationDelayMs: 150 });
    }
  }

  it('is PROCESSING first, then SUCCESS with the audience id, in epoch seconds', async () => {
    const body = audienceBody();
    const created = await slowly(() => create(body));
    const { operationId } = created.body as { operationId: string };
    const early = (await emulator().request('GET', `/external-audiences/operations/${operationId}`))
      .body as Operation;
    expect(early.status).toBe('PROCESSING');
    expect(early['audienceId']).toBeUndefined();
    const done = await emulator().waitFor(
      `/external-audiences/operations/${operationId}`,
      (op) => op['status'] !== 'PROCESSING',
    );
    expect(done).toMatchObject({
      operationId,
      status: 'SUCCESS',
      audienceName: body['name'],
      audienceId: anyString,
      createdBy: 'audiencectl-demo@techacct.adobe.com',
      updatedBy: 'audiencectl-demo@techacct.adobe.com',
    });
    const nowSeconds = Date.now() / 1000;
    expect(Math.abs((done['createdAt'] as number) - nowSeconds)).toBeLessThan(5);
    expect(Number.isInteger(done['updatedAt'])).toBe(true);
  });

  it('keeps the audience invisible while its operation is PROCESSING', async () => {
    const created = await slowly(() => create(audienceBody()));
    const { operationId } = created.body as { operationId: string };
    const listed = emulator().control.listAudiences(emulator().client.orgId, 'prod');
    const operation = emulator()
      .control.listOperations(emulator().client.orgId, 'prod')
      .find((op) => op.operationId === operationId);
    expect(operation?.status).toBe('PROCESSING');
    expect(listed.some((audience) => audience.audienceName === operation?.audienceName)).toBe(false);
  });

  it('answers 100950-409 for a name already taken, also while the first create is PROCESSING', async () => {
    const body = audienceBody();
    const first = await slowly(() => create(body));
    expect(first.status).toBe(202);
    const whileProcessing = await create(body);
    expect(whileProcessing.status).toBe(409);
    expect((whileProcessing.body as ErrorBody).report.errorCode).toBe('100950-409');
    const { operationId } = first.body as { operationId: string };
    await emulator().waitFor(
      `/external-audiences/operations/${operationId}`,
      (op) => op['status'] === 'SUCCESS',
    );
    expect((await create(body)).status).toBe(409);
  });

  it('compares names regardless of case and surrounding blanks', async () => {
    const body = audienceBody({ name: 'Gold Members' });
    await emulator().createAudience(body);
    expect((await create(audienceBody({ name: '  gold members ' }))).status).toBe(409);
  });

  it('frees the name when the audience is deleted', async () => {
    const body = audienceBody();
    const id = await emulator().createAudience(body);
    expect((await emulator().request('DELETE', `/external-audience/${id}`)).status).toBe(204);
    expect((await create(body)).status).toBe(202);
  });

  it('answers 100940-404 for an unknown operation', async () => {
    const response = await emulator().request('GET', '/external-audience/operations/unknown-id');
    expect(response.status).toBe(404);
    expect((response.body as ErrorBody).report.errorCode).toBe('100940-404');
  });

  it('ends FAILED with a reason under an operationFailure fault, and gives the name back', async () => {
    const body = audienceBody();
    emulator().control.queueFault({ kind: 'operationFailure', endpoint: 'createAudience' });
    const created = await create(body);
    expect(created.status).toBe(202);
    const { operationId } = created.body as { operationId: string };
    const done = await emulator().waitFor(
      `/external-audiences/operations/${operationId}`,
      (op) => op['status'] !== 'PROCESSING',
    );
    expect(done['status']).toBe('FAILED');
    expect(done['failureReason']).toEqual(anyString);
    expect(done['audienceId']).toBeUndefined();
    expect((await create(body)).status).toBe(202);
  });

  it('shows the audience’s last update on its operation, as the page’s sample does', async () => {
    const created = await create(audienceBody());
    const { operationId } = created.body as { operationId: string };
    const done = await emulator().waitFor(
      `/external-audiences/operations/${operationId}`,
      (op) => op['status'] === 'SUCCESS',
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const patched = await emulator().request('PATCH', `/external-audience/${String(done['audienceId'])}`, {
      body: { description: 'later' },
    });
    const again = (await emulator().request('GET', `/external-audiences/operations/${operationId}`))
      .body as Operation;
    expect(again['updatedAt']).toBe((patched.body as Operation)['updatedAt']);
    expect(again['updatedAt']).toBeGreaterThan(done['createdAt'] as number);
  });

  it('extends the TTL (newer page versions): 200 with the audience, optionally a new ttlInDays', async () => {
    const id = await emulator().createAudience(audienceBody());
    const plain = await emulator().request('POST', `/external-audience/extend-ttl/${id}`);
    expect(plain.status).toBe(200);
    expect((plain.body as Operation)['ttlInDays']).toBe(40);
    const longer = await emulator().request('POST', `/external-audience/extend-ttl/${id}`, {
      body: { ttlInDays: 80 },
    });
    expect((longer.body as Operation)['ttlInDays']).toBe(80);
    const invalid = await emulator().request('POST', `/external-audience/extend-ttl/${id}`, {
      body: { ttlInDays: 0 },
    });
    expect(invalid.status).toBe(400);
    const unknown = await emulator().request('POST', '/external-audience/extend-ttl/unknown');
    expect(unknown.status).toBe(404);
  });

  it('defaults ttlInDays to 30 on the audience and omits what was not sent from operationDetails', async () => {
    const body = audienceBody();
    delete body['ttlInDays'];
    delete body['description'];
    const created = await create(body);
    expect((created.body as { operationDetails: object }).operationDetails).not.toHaveProperty('ttlInDays');
    const id = await emulator().createAudience(
      audienceBody({ ttlInDays: undefined, name: `${String(body['name'])} 2` }),
    );
    const patched = await emulator().request('PATCH', `/external-audience/${id}`, { body: {} });
    expect((patched.body as Operation)['ttlInDays']).toBe(30);
  });

  it('answers 100940-404 for unknown endpoints', async () => {
    const response = await emulator().request('GET', '/external-audience/');
    expect(response.status).toBe(404);
    expect((response.body as ErrorBody).report.errorCode).toBe('100940-404');
  });
});
