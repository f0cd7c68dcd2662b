import { describe, expect, it } from 'vitest';
import { audienceBody, useEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { report: { errorCode: string; errors?: { path: string }[] } };
type Audience = Record<string, unknown> & { fields: { name: string; labels?: string[] }[] };

describe('PATCH /external-audience/{id}', () => {
  const emulator = useEmulator();

  async function fresh() {
    return emulator().createAudience(audienceBody());
  }

  async function patch(id: string, body: unknown) {
    return emulator().request('PATCH', `/external-audience/${id}`, { body });
  }

  it('replaces description, audience labels and ttlInDays, and records who and when', async () => {
    const id = await fresh();
    const response = await patch(id, { description: 'New', labels: ['core/C5'], ttlInDays: '60' });
    expect(response.status).toBe(200);
    const audience = response.body as Audience;
    expect(audience).toMatchObject({
      audienceId: id,
      description: 'New',
      labels: ['core/C5'],
      ttlInDays: 60,
    });
    expect(audience['updatedBy']).toBe('audiencectl-demo@techacct.adobe.com');
    expect(audience['updatedAt']).toBeGreaterThanOrEqual(audience['createdAt'] as number);
  });

  it('updates the labels of listed fields only; a listed field without labels loses them', async () => {
    const id = await emulator().createAudience(
      audienceBody({
        fields: [
          { name: 'email', type: 'string', identityNs: 'email', labels: ['core/C1'] },
          { name: 'tier', type: 'string', labels: ['core/C2'] },
          { name: 'region', type: 'string', labels: ['core/C3'] },
        ],
      }),
    );
    const response = await patch(id, {
      fields: [{ name: 'tier', labels: ['core/C9'] }, { name: 'region' }],
    });
    expect(response.status).toBe(200);
    expect((response.body as Audience).fields).toEqual([
      { name: 'email', type: 'string', identityNs: 'Email', labels: ['core/C1'] },
      { name: 'tier', type: 'string', labels: ['core/C9'] },
      { name: 'region', type: 'string' },
    ]);
  });

  it('accepts a listed field that repeats its unchanged type and namespace (any case)', async () => {
    const id = await fresh();
    const response = await patch(id, {
      fields: [{ name: 'email', type: 'string', identityNs: 'EMAIL', labels: ['core/C4'] }],
    });
    expect(response.status).toBe(200);
  });

  it('treats an empty object as a no-op', async () => {
    const id = await fresh();
    const response = await patch(id, {});
    expect(response.status).toBe(200);
  });

  it.each([
    ['name', { name: 'Renamed' }],
    ['sourceSpec', { sourceSpec: { path: 'x.csv', type: 'file' } }],
    ['audienceType', { audienceType: 'people' }],
    ['originName', { originName: 'CUSTOM_UPLOAD' }],
    ['namespace', { namespace: 'Other' }],
    ['customAudienceId', { customAudienceId: 'x' }],
    ['tags', { tags: ['t'] }],
    ['an unknown property', { colour: 'red' }],
  ])('answers 100960-422 for a change of %s', async (_what, body) => {
    const id = await fresh();
    const response = await patch(id, body);
    expect(response.status).toBe(422);
    const error = response.body as ErrorBody;
    expect(error.report.errorCode).toBe('100960-422');
    expect(error.report.errors?.map((item) => item.path)).toEqual(Object.keys(body));
  });

  it.each([
    ['a new field', { fields: [{ name: 'new', labels: [] }] }, 'fields[0].name'],
    ["a field's type", { fields: [{ name: 'tier', type: 'long' }] }, 'fields[0].type'],
    [
      "a field's identity namespace",
      { fields: [{ name: 'email', identityNs: 'ECID' }] },
      'fields[0].identityNs',
    ],
    [
      'another property of a field',
      { fields: [{ name: 'tier', description: 'x' }] },
      'fields[0].description',
    ],
  ])('answers 100960-422 for %s', async (_what, body, path) => {
    const id = await fresh();
    const response = await patch(id, body);
    expect(response.status).toBe(422);
    expect((response.body as ErrorBody).report.errors?.map((item) => item.path)).toEqual([path]);
  });

  it('leaves the audience unchanged when it refuses a PATCH', async () => {
    const id = await fresh();
    await patch(id, { description: 'kept', name: 'refused' });
    const listed = emulator().control.listAudiences(emulator().client.orgId, 'prod');
    expect(listed.find((audience) => audience.audienceId === id)?.description).toBe('A test audience');
  });

  it.each([
    ['a body that is not an object', ['description']],
    ['a description that is not a string', { description: 5 }],
    ['labels that are not a list', { labels: 'core/C1' }],
    ['ttlInDays out of range', { ttlInDays: 91 }],
    ['fields that are not a list', { fields: { name: 'tier' } }],
    ['a field without a name', { fields: [{ labels: ['core/C1'] }] }],
  ])('answers 100910-400 for %s (a malformed body)', async (_what, body) => {
    const id = await fresh();
    const response = await patch(id, body);
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).report.errorCode).toBe('100910-400');
  });

  it('answers 100940-404 for an unknown audience', async () => {
    const response = await patch('00000000-0000-0000-0000-000000000000', { description: 'x' });
    expect(response.status).toBe(404);
    expect((response.body as ErrorBody).report.errorCode).toBe('100940-404');
  });
});
