import { describe, expect, it } from 'vitest';
import { anyString } from './matchers.js';
import { DEMO_CLIENT, startEmulator } from '../../src/emulator/index.js';
import { useEmulator, withEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { status: number; detail: string; report: { errorCode: string } };

const OTHER = {
  clientId: 'other-client',
  clientSecret: 'other-secret',
  orgId: 'OTHER000000000000000000@AdobeOrg',
};
const BLOCKED = {
  clientId: 'no-product',
  clientSecret: 'blocked-secret',
  orgId: OTHER.orgId,
  allowed: false,
};

async function tokenRequest(imsUrl: string, form: Record<string, string>, contentType?: string) {
  const response = await fetch(imsUrl, {
    method: 'POST',
    headers: { 'content-type': contentType ?? 'application/x-www-form-urlencoded' },
    body: contentType === 'application/json' ? JSON.stringify(form) : new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const demoForm = {
  grant_type: 'client_credentials',
  client_id: DEMO_CLIENT.clientId,
  client_secret: DEMO_CLIENT.clientSecret,
  scope: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext',
};

describe('IMS token endpoint', () => {
  const emulator = useEmulator({ clients: [DEMO_CLIENT, OTHER, BLOCKED], tokenLifetimeSeconds: 3600 });

  it('issues a bearer token with its lifetime in seconds', async () => {
    const { status, body } = await tokenRequest(emulator().imsUrl, demoForm);
    expect(status).toBe(200);
    expect(body).toEqual({ access_token: anyString, token_type: 'bearer', expires_in: 3600 });
  });

  it.each([
    ['a wrong secret', { ...demoForm, client_secret: 'nope' }, 401, 'invalid_client'],
    ['an unknown client', { ...demoForm, client_id: 'nobody' }, 400, 'invalid_client'],
    ['no client id', { grant_type: 'client_credentials', client_secret: 'x' }, 400, 'invalid_request'],
    [
      'no secret',
      { grant_type: 'client_credentials', client_id: DEMO_CLIENT.clientId },
      400,
      'invalid_request',
    ],
    [
      'no grant type',
      { client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret },
      400,
      'invalid_request',
    ],
    ['another grant type', { ...demoForm, grant_type: 'authorization_code' }, 400, 'unsupported_grant_type'],
  ])('refuses %s', async (_what, form, status, error) => {
    const response = await tokenRequest(emulator().imsUrl, form);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error, error_description: anyString });
  });

  it('reads only form bodies, as IMS', async () => {
    const response = await tokenRequest(emulator().imsUrl, demoForm, 'application/json');
    expect(response.status).toBe(400);
    expect(response.body['error']).toBe('invalid_request');
  });
});

describe('API header checks, in the appendix order', () => {
  const emulator = useEmulator({ clients: [DEMO_CLIENT, OTHER, BLOCKED] });
  const path = '/external-audiences/operations/00000000-0000-0000-0000-000000000000';

  async function call(headers: Record<string, string | undefined>) {
    const response = await emulator().request('GET', path, { headers });
    return { status: response.status, error: response.body as ErrorBody };
  }

  it.each(['authorization', 'x-api-key', 'x-gw-ims-org-id', 'x-sandbox-name'])(
    'answers 100920-401 when %s is missing',
    async (header) => {
      const { status, error } = await call({ [header]: undefined });
      expect(status).toBe(401);
      expect(error.report.errorCode).toBe('100920-401');
      expect(error.detail).toContain(header);
    },
  );

  it.each([
    ['not a bearer token', 'Basic abc'],
    ['a malformed token', 'Bearer not-a-token'],
    ['a token with a forged signature', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJvcmciOiJ4In0.forged'],
  ])('answers 100911-400 for %s', async (_what, authorization) => {
    const { status, error } = await call({ authorization });
    expect(status).toBe(400);
    expect(error.report.errorCode).toBe('100911-400');
  });

  it('answers 100911-400 for a token of another emulator', async () => {
    const foreign = await startEmulator();
    const token = foreign.control.issueToken(DEMO_CLIENT.clientId);
    await foreign.close();
    const { status, error } = await call({ authorization: `Bearer ${token}` });
    expect(status).toBe(400);
    expect(error.report.errorCode).toBe('100911-400');
  });

  it('answers 100921-401 when the org header is not the token org', async () => {
    const { status, error } = await call({ 'x-gw-ims-org-id': OTHER.orgId });
    expect(status).toBe(401);
    expect(error.report.errorCode).toBe('100921-401');
  });

  it("answers 100922-401 when x-api-key is not the token's client", async () => {
    const { status, error } = await call({ 'x-api-key': OTHER.clientId });
    expect(status).toBe(401);
    expect(error.report.errorCode).toBe('100922-401');
  });

  it('answers 100922-401 to a client without access to the API', async () => {
    const response = await emulator().request('GET', path, { client: BLOCKED });
    expect(response.status).toBe(401);
    expect((response.body as ErrorBody).report.errorCode).toBe('100922-401');
  });

  it('answers 100910-400 to an invalid sandbox name', async () => {
    const { status, error } = await call({ 'x-sandbox-name': 'Prod Sandbox' });
    expect(status).toBe(400);
    expect(error.report.errorCode).toBe('100910-400');
  });

  it('lets a valid call through to the endpoint (404: no such operation)', async () => {
    const { status, error } = await call({});
    expect(status).toBe(404);
    expect(error.report.errorCode).toBe('100940-404');
  });
});

describe('token expiry', () => {
  it('refuses a token once its lifetime has passed, and accepts a new one', async () => {
    await withEmulator({ tokenLifetimeSeconds: 1 }, async (emulator) => {
      const path = '/external-audiences/operations/unknown';
      const stale = await emulator.token();
      expect((await emulator.request('GET', path)).status).toBe(404);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const expired = await emulator.request('GET', path, { headers: { authorization: `Bearer ${stale}` } });
      expect(expired.status).toBe(400);
      expect((expired.body as ErrorBody).report.errorCode).toBe('100911-400');
      expect((expired.body as ErrorBody).detail).toMatch(/expired/);
      const renewed = emulator.control.issueToken(DEMO_CLIENT.clientId);
      const fresh = await emulator.request('GET', path, { headers: { authorization: `Bearer ${renewed}` } });
      expect(fresh.status).toBe(404);
    });
  });
});
