import { describe, expect, it } from 'vitest';
import { AudienceView } from '../../src/aep/types.js';
import { LiveAudience } from '../../src/aep/segment-types.js';
import { remoteAudience, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';

/**
 * The page's create request sample sends `"ttlInDays": "40"` where its tables say Integer. A
 * service that answers it as it is sent there (`ttlInDaysType: string`) failed the client's
 * reading of every PATCH answer: an applied PATCH was reported failed, on every apply.
 */
describe('a service that answers ttlInDays as a string (ttlInDaysType: string)', () => {
  it('is read as a number in the PATCH answer, a lookup, a name list and bulk-get', async () => {
    await withEmulator({ compat: { ttlInDaysType: 'string' }, operationDelayMs: 10 }, async (emulator) => {
      const aep = clientFor(emulator, { compat: {} });
      const body = spec({ ttlInDays: 40 });
      const audienceId = await createAndWait(aep, 'prod', body);
      // Raw: the emulator does answer the string, to an integer sent.
      const raw = await emulator.request('PATCH', `/external-audience/${audienceId}`, {
        body: { ttlInDays: 45 },
      });
      expect(raw.body).toMatchObject({ audienceId, ttlInDays: '45' });

      const view = await aep.patchAudience('prod', audienceId, { description: 'Changed' });
      expect(view).toMatchObject({ audienceId, description: 'Changed', ttlInDays: 45 });
      expect((await aep.getAudience('prod', audienceId))?.ttlInDays).toBe(45);
      expect((await aep.findAudiencesByName('prod', body.name)).map((a) => a.ttlInDays)).toEqual([45]);
      expect((await aep.bulkGetAudiences('prod', [audienceId])).get(audienceId)?.ttlInDays).toBe(45);
    });
  });

  it('applies a PATCH as applied, and a refresh then finds no drift', async () => {
    await withExecutor({ compat: { ttlInDaysType: 'string' } }, async (env) => {
      const gold = (ttlInDays: number, description = 'About gold') =>
        manifestObject('gold', { spec: { ttlInDays, description }, ingestion: { onCreate: false } });
      const statuses = async (outcome: ReturnType<typeof env.apply>) =>
        (await outcome).report?.results.map((r) => `${r.step.id} ${r.status}`);
      expect(await statuses(env.apply([gold(40)]))).toEqual(['prod/gold:create applied']);
      expect(await statuses(env.apply([gold(45, 'Changed')]))).toEqual(['prod/gold:update applied']);
      expect(remoteAudience(env, 'gold')).toMatchObject({ ttlInDays: 45, description: 'Changed' });
      expect((await env.store().get('prod', 'gold'))?.applied?.spec.ttlInDays).toBe(45);
      const settled = await env.apply([gold(45, 'Changed')], { refresh: true });
      expect(settled.plan.refresh?.drifted).toEqual([]);
      expect(settled.plan.steps).toEqual([]);
    });
  });

  it('refuses a ttlInDays that is no whole number of days, naming it', () => {
    for (const ttlInDays of ['forty', '4.5', '', '-3', true, 4.5]) {
      const view = AudienceView.safeParse({ audienceId: 'a', ttlInDays });
      const live = LiveAudience.safeParse({ id: 'a', name: 'A', ttlInDays });
      for (const parsed of [view, live]) {
        expect(parsed.success, JSON.stringify(ttlInDays)).toBe(false);
        expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
          'ttlInDays: must be a whole number of days (or such a number written as a string)',
        ]);
      }
    }
  });
});
