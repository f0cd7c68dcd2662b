import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type ErrorBody, type PlatformCode } from '../../src/emulator/index.js';
import { audienceBody, useEmulator, type ApiResponse, type TestEmulator } from '../helpers/with-emulator.js';

const BLOCKED = {
  clientId: 'blocked',
  clientSecret: 'blocked-secret',
  orgId: DEMO_CLIENT.orgId,
  allowed: false,
};
const LOOKUP = '/external-audiences/operations/none';

type Trigger = (emulator: TestEmulator) => Promise<ApiResponse>;

/**
 * The appendix of the reference page (external-audiences-api.md, "Error codes"), copied
 * by hand: platform code, status code, message. 429050 is the gateway's, documented in
 * specs/emulator-errors.md. Written here, not imported, so the emulator cannot agree
 * with itself.
 */
const PAGE: Record<PlatformCode, { status: number; title: string }> = {
  '100910-400': { status: 400, title: 'BAD_REQUEST' },
  '100911-400': { status: 400, title: 'BAD_REQUEST' },
  '100920-401': { status: 401, title: 'UNAUTHORIZED' },
  '100921-401': { status: 401, title: 'UNAUTHORIZED' },
  '100922-401': { status: 401, title: 'UNAUTHORIZED' },
  '100940-404': { status: 404, title: 'NOT_FOUND' },
  '100950-409': { status: 409, title: 'DUPLICATE_RESOURCE' },
  '100960-422': { status: 422, title: 'UNPROCESSABLE_ENTITY' },
  '100970-500': { status: 500, title: 'INTERNAL_SERVER_ERROR' },
  '100970-502': { status: 502, title: 'BAD_GATEWAY' },
  '429050': { status: 429, title: 'TOO_MANY_REQUESTS' },
};

/** One way to provoke each code of the appendix (plus the gateway's 429). */
const TRIGGERS: Record<PlatformCode, Trigger> = {
  '100910-400': (emulator) => emulator.request('POST', '/external-audience/', { body: { name: 'x' } }),
  '100911-400': (emulator) =>
    emulator.request('GET', LOOKUP, { headers: { authorization: 'Bearer nonsense' } }),
  '100920-401': (emulator) => emulator.request('GET', LOOKUP, { headers: { 'x-sandbox-name': undefined } }),
  '100921-401': (emulator) =>
    emulator.request('GET', LOOKUP, { headers: { 'x-gw-ims-org-id': 'SOMEONEELSE0000000000000@AdobeOrg' } }),
  '100922-401': (emulator) => emulator.request('GET', LOOKUP, { client: BLOCKED }),
  '100940-404': (emulator) => emulator.request('GET', LOOKUP),
  '100950-409': async (emulator) => {
    const body = audienceBody();
    await emulator.request('POST', '/external-audience/', { body });
    return emulator.request('POST', '/external-audience/', { body });
  },
  '100960-422': async (emulator) => {
    const id = await emulator.createAudience(audienceBody());
    return emulator.request('PATCH', `/external-audience/${id}`, { body: { name: 'renamed' } });
  },
  '100970-500': (emulator) => {
    emulator.control.queueFault({ kind: 'error500' });
    return emulator.request('GET', LOOKUP);
  },
  '100970-502': (emulator) => {
    emulator.control.queueFault({ kind: 'error502' });
    return emulator.request('GET', LOOKUP);
  },
  '429050': async (emulator) => {
    emulator.control.setRateLimit({ perSecond: 0.001, burst: 1 });
    try {
      await emulator.request('GET', LOOKUP);
      return await emulator.request('GET', LOOKUP);
    } finally {
      emulator.control.setRateLimit(undefined);
    }
  },
};

describe('every error code, in the documented body shape', () => {
  const emulator = useEmulator({ clients: [DEMO_CLIENT, BLOCKED] });

  it.each(Object.keys(TRIGGERS) as PlatformCode[])('%s', async (code) => {
    const response = await TRIGGERS[code](emulator());
    const { status, title } = PAGE[code];
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = response.body as ErrorBody;
    expect(body).toEqual({
      type: `https://ns.adobe.com/aep/errors/${code}`,
      title,
      status,
      detail: body.detail,
      report: {
        errorCode: code,
        requestId: response.headers.get('x-request-id'),
        ...(body.report.errors ? { errors: body.report.errors } : {}),
      },
    });
    expect(body.detail.length).toBeGreaterThan(0);
  });
});
