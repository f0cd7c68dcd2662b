import { describe, expect, it } from 'vitest';
import type { AudienceSpec } from '../../src/manifest/schema.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, failure, spec } from './helpers.js';

/**
 * The page's appendix gives 100910-400 one text, "A bad request has occurred, due to a failure
 * occurring while validating the requests", and shows no error body: a service may name no
 * property in it. The emulator's `errorDetail: appendix` answers its 400s so. A create refused
 * with such a 400 names nothing the client could read as "the other sourceSpec shape": it is
 * sent once in the other shape (a 400 creates nothing), and the shape that answered is kept.
 */
describe('validation errors that name no property (errorDetail: appendix)', () => {
  it('the emulator answers the appendix text and no list of broken rules', async () => {
    await withEmulator({ compat: { sourceSpec: 'flat', errorDetail: 'appendix' } }, async (emulator) => {
      const response = await emulator.request('POST', '/external-audience/', {
        body: { ...spec(), sourceSpec: { params: { path: 'crm/gold.csv', type: 'file' } } },
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        title: 'BAD_REQUEST',
        detail: 'A bad request has occurred, due to a failure occurring while validating the requests.',
        report: { errorCode: '100910-400' },
      });
      expect(response.text).not.toMatch(/sourceSpec/);
    });
  });

  it('a flat-only service: the create is sent flat after the bare 400, and flat from then on', async () => {
    await withEmulator({ compat: { sourceSpec: 'flat', errorDetail: 'appendix' } }, async (emulator) => {
      const aep = clientFor(emulator, { compat: {} });
      const created = await aep.createAudience('prod', spec());
      expect(created.operationId).not.toBe('');
      await aep.createAudience('prod', spec());
      expect(emulator.control.counters().byEndpoint.createAudience.byStatus).toEqual({ '400': 1, '202': 2 });
      expect(aep.compat().sourceSpec).toEqual({ prod: 'flat' });
    });
  });

  it('a params-only service: a remembered flat shape is sent under params after the bare 400', async () => {
    await withEmulator({ compat: { sourceSpec: 'params', errorDetail: 'appendix' } }, async (emulator) => {
      const aep = clientFor(emulator, { compat: { remembered: { sourceSpec: { prod: 'flat' } } } });
      await aep.createAudience('prod', spec());
      expect(emulator.control.counters().byEndpoint.createAudience.byStatus).toEqual({ '400': 1, '202': 1 });
      expect(aep.compat().sourceSpec).toEqual({ prod: 'params' });
    });
  });

  it('a create refused in both shapes fails with the first refusal, and teaches nothing', async () => {
    await withEmulator({ compat: { errorDetail: 'appendix' } }, async (emulator) => {
      const aep = clientFor(emulator, { compat: {} });
      // A field type the page does not list: refused whatever the shape (unchecked here).
      const body = {
        ...spec(),
        fields: [{ name: 'email', type: 'no-such-type' }],
      } as unknown as AudienceSpec;
      const error = await failure(aep.createAudience('prod', body));
      expect(error.status).toBe(400);
      expect(error.platformCode).toBe('100910-400');
      expect(emulator.control.counters().byEndpoint.createAudience.byStatus).toEqual({ '400': 2 });
      expect(aep.compat().sourceSpec).toBeUndefined();
    });
  });
});
