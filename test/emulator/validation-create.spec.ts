import { describe, expect, it } from 'vitest';
import { audienceBody, useEmulator, type TestEmulator } from '../helpers/with-emulator.js';

type ErrorBody = {
  status: number;
  report: { errorCode: string; errors?: { path: string; message: string }[] };
};

async function expectRejected(emulator: TestEmulator, body: unknown, path: string) {
  const response = await emulator.request('POST', '/external-audience/', { body });
  expect(response.status, response.text).toBe(400);
  const error = response.body as ErrorBody;
  expect(error.report.errorCode).toBe('100910-400');
  expect(error.report.errors?.map((item) => item.path)).toContain(path);
}

async function expectAccepted(emulator: TestEmulator, body: unknown) {
  const response = await emulator.request('POST', '/external-audience/', { body });
  expect(response.status, response.text).toBe(202);
  return response.body as { operationDetails: Record<string, unknown> };
}

const source = { path: 'crm/gold.csv', type: 'file' };

describe('create validation: each rule of the reference page answers 100910-400', () => {
  const emulator = useEmulator();

  it('rejects a body that is not JSON', async () => {
    const response = await emulator().request('POST', '/external-audience/', {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).report.errorCode).toBe('100910-400');
  });

  it('rejects an empty body and a body that is not an object', async () => {
    await expectRejected(emulator(), [], 'body');
    const empty = await emulator().request('POST', '/external-audience/', { rawBody: '' });
    expect((empty.body as ErrorBody).report.errorCode).toBe('100910-400');
  });

  const without = (key: string) => {
    const body = audienceBody();
    delete body[key];
    return body;
  };

  it.each([
    ['name is required', without('name'), 'name'],
    ['name must not be empty', audienceBody({ name: '  ' }), 'name'],
    ['description must be a string', audienceBody({ description: 5 }), 'description'],
    ['customAudienceId must not be empty', audienceBody({ customAudienceId: '' }), 'customAudienceId'],
    ['fields are required', without('fields'), 'fields'],
    ['fields must not be empty', audienceBody({ fields: [] }), 'fields'],
    ['a field needs a name', audienceBody({ fields: [{ type: 'string' }] }), 'fields[0].name'],
    ['a field needs a type', audienceBody({ fields: [{ name: 'email' }] }), 'fields[0].type'],
    [
      'a field type is one of the supported ones',
      audienceBody({ fields: [{ name: 'a', type: 'text' }] }),
      'fields[0].type',
    ],
    [
      'identityNs must not be empty',
      audienceBody({ fields: [{ name: 'a', type: 'string', identityNs: '' }] }),
      'fields[0].identityNs',
    ],
    [
      'field labels are strings',
      audienceBody({ fields: [{ name: 'a', type: 'string', labels: [1] }] }),
      'fields[0].labels[0]',
    ],
    [
      'field names are unique',
      audienceBody({
        fields: [
          { name: 'a', type: 'string' },
          { name: 'a', type: 'long' },
        ],
      }),
      'fields[1].name',
    ],
    [
      'fields have no unknown properties',
      audienceBody({ fields: [{ name: 'a', type: 'string', colour: 'red' }] }),
      'fields[0]',
    ],
    ['sourceSpec is required', without('sourceSpec'), 'sourceSpec'],
    ['sourceSpec.path is required', audienceBody({ sourceSpec: { type: 'file' } }), 'sourceSpec.path'],
    [
      'sourceSpec.params.path is required',
      audienceBody({ sourceSpec: { params: { type: 'file' } } }),
      'sourceSpec.params.path',
    ],
    [
      'sourceSpec.type is file or folder',
      audienceBody({ sourceSpec: { path: 'a.csv', type: 'bucket' } }),
      'sourceSpec.type',
    ],
    [
      'sourceType is Cloud Storage',
      audienceBody({ sourceSpec: { ...source, sourceType: 'FTP' } }),
      'sourceSpec.sourceType',
    ],
    [
      'cloudType is S3, DLZ, GCS or SFTP',
      audienceBody({ sourceSpec: { ...source, cloudType: 'Azure' } }),
      'sourceSpec.cloudType',
    ],
    [
      'S3 needs baseConnectionId',
      audienceBody({ sourceSpec: { ...source, cloudType: 'S3' } }),
      'sourceSpec.baseConnectionId',
    ],
    [
      'GCS needs baseConnectionId',
      audienceBody({ sourceSpec: { ...source, cloudType: 'GCS' } }),
      'sourceSpec.baseConnectionId',
    ],
    [
      'SFTP needs baseConnectionId',
      audienceBody({ sourceSpec: { params: { ...source, cloudType: 'SFTP' } } }),
      'sourceSpec.params.baseConnectionId',
    ],
    [
      'sourceSpec has no unknown properties',
      audienceBody({ sourceSpec: { ...source, bucket: 'x' } }),
      'sourceSpec',
    ],
    ['ttlInDays is at least 1', audienceBody({ ttlInDays: 0 }), 'ttlInDays'],
    ['ttlInDays is at most 90', audienceBody({ ttlInDays: 91 }), 'ttlInDays'],
    ['ttlInDays is a whole number', audienceBody({ ttlInDays: 40.5 }), 'ttlInDays'],
    ['ttlInDays as a string holds a number', audienceBody({ ttlInDays: 'forty' }), 'ttlInDays'],
    ['audienceType is people', audienceBody({ audienceType: 'accounts' }), 'audienceType'],
    ['originName is required', without('originName'), 'originName'],
    ['namespace must not be empty', audienceBody({ namespace: '' }), 'namespace'],
    ['labels are a list of strings', audienceBody({ labels: 'core/C1' }), 'labels'],
    ['tags are a list of strings', audienceBody({ tags: [true] }), 'tags[0]'],
    ['unknown properties are refused', audienceBody({ colour: 'red' }), 'body'],
  ])('%s', async (_rule, body, path) => {
    await expectRejected(emulator(), body, path);
  });

  it('accepts ttlInDays as a number or a numeric string, and answers a number', async () => {
    const asString = await expectAccepted(emulator(), audienceBody({ ttlInDays: '90' }));
    expect(asString.operationDetails['ttlInDays']).toBe(90);
    const asNumber = await expectAccepted(emulator(), audienceBody({ ttlInDays: 1 }));
    expect(asNumber.operationDetails['ttlInDays']).toBe(1);
  });

  it('accepts sourceSpec flat and wrapped in params, and echoes the shape sent', async () => {
    const flat = await expectAccepted(emulator(), audienceBody({ sourceSpec: source }));
    expect(flat.operationDetails['sourceSpec']).toEqual(source);
    const wrapped = await expectAccepted(emulator(), audienceBody({ sourceSpec: { params: source } }));
    expect(wrapped.operationDetails['sourceSpec']).toEqual({ params: source });
  });

  it('accepts DLZ without a base connection, and every supported field type', async () => {
    const types = ['string', 'number', 'long', 'integer', 'date', 'datetime', 'boolean'];
    await expectAccepted(
      emulator(),
      audienceBody({
        sourceSpec: { ...source, cloudType: 'DLZ' },
        fields: types.map((type, index) => ({ name: `f${index}`, type })),
      }),
    );
  });

  it('normalises standard identity namespaces and keeps custom ones as sent', async () => {
    const created = await expectAccepted(
      emulator(),
      audienceBody({
        fields: [
          { name: 'a', type: 'string', identityNs: 'ecid' },
          { name: 'b', type: 'string', identityNs: 'PHONE' },
          { name: 'c', type: 'string', identityNs: 'loyaltyId' },
        ],
      }),
    );
    const fields = created.operationDetails['fields'] as { identityNs: string }[];
    expect(fields.map((field) => field.identityNs)).toEqual(['ECID', 'Phone', 'loyaltyId']);
  });

  it('does not enforce the newer page rules by default', async () => {
    await expectAccepted(
      emulator(),
      audienceBody({
        fields: [{ name: 'a', type: 'string' }],
        sourceSpec: { path: 'with space.csv', type: 'file' },
      }),
    );
  });
});

describe('create validation with newerRules: the rules newer page versions add', () => {
  const emulator = useEmulator({ newerRules: true });
  const manyFields = Array.from({ length: 42 }, (_, index) => ({
    name: `f${index}`,
    type: 'string',
    ...(index === 0 ? { identityNs: 'email' } : {}),
  }));

  it.each([
    ['at most 41 fields', audienceBody({ fields: manyFields }), 'fields'],
    ['at least one identity field', audienceBody({ fields: [{ name: 'a', type: 'string' }] }), 'fields'],
    [
      'no spaces in sourceSpec.path',
      audienceBody({ sourceSpec: { path: 'a b.csv', type: 'file' } }),
      'sourceSpec.path',
    ],
    [
      'no baseConnectionId where the cloud type needs none',
      audienceBody({
        sourceSpec: { params: { path: 'a.csv', type: 'file', cloudType: 'DLZ', baseConnectionId: 'x' } },
      }),
      'sourceSpec.params.baseConnectionId',
    ],
  ])('%s', async (_rule, body, path) => {
    await expectRejected(emulator(), body, path);
  });

  it('still accepts the reference sample shape', async () => {
    await expectAccepted(emulator(), audienceBody());
  });
});
