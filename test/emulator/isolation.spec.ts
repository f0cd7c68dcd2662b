import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { audienceBody, useEmulator } from '../helpers/with-emulator.js';

const OTHER_ORG = {
  clientId: 'acme',
  clientSecret: 'acme-secret',
  orgId: 'ACME0000000000000000000@AdobeOrg',
};
const SAME_ORG = { clientId: 'demo-second', clientSecret: 'second-secret', orgId: DEMO_CLIENT.orgId };

describe('isolation per org and sandbox', () => {
  const emulator = useEmulator({ clients: [DEMO_CLIENT, OTHER_ORG, SAME_ORG] });

  it('hides an audience, its operation and its runs from other sandboxes and other orgs', async () => {
    const created = await emulator().request('POST', '/external-audience/', { body: audienceBody() });
    const { operationId } = created.body as { operationId: string };
    const id = await emulator().createAudience(audienceBody());
    const { runId } = (
      await emulator().request('POST', `/external-audience/${id}/runs`, { body: { dataFilterStartTime: 1 } })
    ).body as { runId: string };

    const elsewhere = [{ sandbox: 'dev' }, { client: OTHER_ORG }, { client: OTHER_ORG, sandbox: 'dev' }];
    for (const where of elsewhere) {
      const calls = [
        emulator().request('GET', `/external-audiences/operations/${operationId}`, where),
        emulator().request('PATCH', `/external-audience/${id}`, { ...where, body: { description: 'x' } }),
        emulator().request('POST', `/external-audience/${id}/runs`, {
          ...where,
          body: { dataFilterStartTime: 1 },
        }),
        emulator().request('GET', `/external-audience/${id}/runs`, where),
        emulator().request('GET', `/external-audience/${id}/runs/${runId}`, where),
        emulator().request('POST', `/external-audience/extend-ttl/${id}`, where),
        emulator().request('DELETE', `/external-audience/${id}`, where),
      ];
      for (const response of await Promise.all(calls))
        expect(response.status, JSON.stringify(where)).toBe(404);
    }
    expect((await emulator().request('GET', `/external-audience/${id}/runs/${runId}`)).status).toBe(200);
  });

  it('lets another client of the same org see the same sandbox', async () => {
    const id = await emulator().createAudience(audienceBody());
    const response = await emulator().request('PATCH', `/external-audience/${id}`, {
      client: SAME_ORG,
      body: { description: 'by a colleague' },
    });
    expect(response.status).toBe(200);
    expect((response.body as { updatedBy: string }).updatedBy).toBe('demo-second@techacct.adobe.com');
  });

  it('allows the same name in another sandbox and in another org', async () => {
    const body = audienceBody();
    await emulator().createAudience(body);
    await emulator().createAudience(body, { sandbox: 'dev' });
    await emulator().createAudience(body, { client: OTHER_ORG });
    expect((await emulator().request('POST', '/external-audience/', { body })).status).toBe(409);
  });

  it('lists audiences per org and sandbox through the control', async () => {
    await emulator().createAudience(audienceBody({ name: 'Only in qa' }), { sandbox: 'qa' });
    const qa = emulator().control.listAudiences(DEMO_CLIENT.orgId, 'qa');
    expect(qa.map((audience) => audience.audienceName)).toEqual(['Only in qa']);
    expect(emulator().control.listAudiences(OTHER_ORG.orgId, 'qa')).toEqual([]);
  });
});
