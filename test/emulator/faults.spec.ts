import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/emulator/faults.js';
import { resolveFaults } from '../../src/emulator/settings.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { report: { errorCode: string } };

describe('fault injection', () => {
  it('answers 100970-500 and 100970-502 without handling the request', async () => {
    await withEmulator({ faults: { error500: 1 } }, async (emulator) => {
      const body = audienceBody();
      const failed = await emulator.request('POST', '/external-audience/', { body });
      expect(failed.status).toBe(500);
      expect((failed.body as ErrorBody).report.errorCode).toBe('100970-500');
      emulator.control.setFaults({ error502: 1 });
      const gateway = await emulator.request('POST', '/external-audience/', { body });
      expect(gateway.status).toBe(502);
      expect((gateway.body as ErrorBody).report.errorCode).toBe('100970-502');
      emulator.control.clearFaults();
      expect((await emulator.request('POST', '/external-audience/', { body })).status).toBe(202);
      expect(emulator.control.counters().faults).toMatchObject({ error500: 1, error502: 1 });
    });
  });

  it('drops the connection before handling: nothing is created', async () => {
    await withEmulator({}, async (emulator) => {
      const body = audienceBody();
      emulator.control.queueFault({ kind: 'drop', endpoint: 'createAudience' });
      await expect(emulator.request('POST', '/external-audience/', { body })).rejects.toThrow();
      expect(emulator.control.listOperations(emulator.client.orgId, 'prod')).toEqual([]);
      expect((await emulator.request('POST', '/external-audience/', { body })).status).toBe(202);
      const log = emulator.control.requestLog();
      expect(
        log
          .filter((entry) => entry.endpoint === 'createAudience')
          .map((entry) => [entry.status, entry.fault]),
      ).toEqual([
        [0, 'drop'],
        [202, undefined],
      ]);
    });
  });

  it('loses the response of an accepted create: the audience exists, a retry gets 409', async () => {
    await withEmulator({}, async (emulator) => {
      const body = audienceBody();
      emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      await expect(emulator.request('POST', '/external-audience/', { body })).rejects.toThrow();
      const retry = await emulator.request('POST', '/external-audience/', { body });
      expect(retry.status).toBe(409);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const audiences = emulator.control.listAudiences(emulator.client.orgId, 'prod');
      expect(audiences.map((audience) => audience.audienceName)).toEqual([body['name']]);
    });
  });

  it('loses responses of other mutations after applying them, never of lookups', async () => {
    await withEmulator({}, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      emulator.control.setFaults({ responseLost: 1 });
      expect((await emulator.request('GET', `/external-audience/${id}/runs`)).status).toBe(200);
      await expect(
        emulator.request('PATCH', `/external-audience/${id}`, { body: { description: 'applied' } }),
      ).rejects.toThrow();
      await expect(emulator.request('DELETE', `/external-audience/${id}`)).rejects.toThrow();
      emulator.control.clearFaults();
      expect((await emulator.request('GET', `/external-audience/${id}/runs`)).status).toBe(404);
    });
  });

  it('does not lose the response of a refused mutation', async () => {
    await withEmulator({}, async (emulator) => {
      emulator.control.queueFault({ kind: 'responseLost' });
      expect((await emulator.request('POST', '/external-audience/', { body: {} })).status).toBe(400);
      expect(emulator.control.queuedFaults()).toHaveLength(1);
    });
  });

  it('slows responses down, and adds configured latency', async () => {
    await withEmulator({ faults: { slow: 1, slowMs: 150 } }, async (emulator) => {
      await emulator.token();
      let started = Date.now();
      await emulator.request('GET', '/external-audiences/operations/x');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      emulator.control.clearFaults();
      emulator.control.setLatency(100);
      started = Date.now();
      await emulator.request('GET', '/external-audiences/operations/x');
      expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    });
  });

  it('fires a queued fault only on its endpoint and only as often as asked', async () => {
    await withEmulator({}, async (emulator) => {
      emulator.control.queueFault({ kind: 'error502', endpoint: 'getOperation', count: 2 });
      expect((await emulator.request('POST', '/external-audience/', { body: audienceBody() })).status).toBe(
        202,
      );
      expect((await emulator.request('GET', '/external-audiences/operations/x')).status).toBe(502);
      expect(emulator.control.queuedFaults()).toEqual([
        { kind: 'error502', endpoint: 'getOperation', count: 1 },
      ]);
      expect((await emulator.request('GET', '/external-audiences/operations/x')).status).toBe(502);
      expect((await emulator.request('GET', '/external-audiences/operations/x')).status).toBe(404);
      expect(emulator.control.queuedFaults()).toEqual([]);
    });
  });

  it('refuses a chosen request with a chosen 4xx status, in the service error shape: nothing is created', async () => {
    await withEmulator({}, async (emulator) => {
      const body = audienceBody();
      emulator.control.queueFault({ kind: 'clientError', endpoint: 'createAudience', status: 403, after: 1 });
      emulator.control.queueFault({ kind: 'clientError', endpoint: 'getOperation', status: 422 });
      expect((await emulator.request('GET', '/external-audiences/operations/x')).body).toMatchObject({
        status: 422,
        title: 'UNPROCESSABLE_ENTITY',
        report: { errorCode: '100960-422' },
      });
      const first = await emulator.request('POST', '/external-audience/', { body: audienceBody() });
      expect(first.status).toBe(202);
      const refused = await emulator.request('POST', '/external-audience/', { body });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const requestId = refused.headers.get('x-request-id');
      expect(refused.body).toEqual({
        type: 'https://ns.adobe.com/aep/errors/403',
        title: 'FORBIDDEN',
        status: 403,
        detail: 'The request was refused with HTTP 403 (injected fault).',
        report: { errorCode: '403', requestId },
      });
      expect(emulator.control.listOperations(emulator.client.orgId, 'prod')).toHaveLength(1);
      expect((await emulator.request('POST', '/external-audience/', { body })).status).toBe(202);
      const log = emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience');
      expect(log.map((entry) => [entry.status, entry.fault, entry.errorCode])).toEqual([
        [202, undefined, undefined],
        [403, 'clientError', '403'],
        [202, undefined, undefined],
      ]);
      expect(emulator.control.counters().faults).toMatchObject({ clientError: 2 });
    });
  });

  it('replays the same fault sequence for the same seed', () => {
    const draws = (seed: number) => {
      const injector = new FaultInjector(resolveFaults({ error500: 0.5, seed }));
      return Array.from({ length: 20 }, () => injector.take('error500', 'getOperation'));
    };
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
  });
});
