import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { interruptedCreate, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// An interrupted create of gold (its intent open, its POST's outcome unknown) adopts, on its
// 409, only an audience its own POST can have made: not one made long before it began, nor
// one another record holds.

const quiet = (name: string) => manifestObject(name, { ingestion: { onCreate: false } });

describe('an interrupted create takes for its own', () => {
  it('no audience of its name made 10 minutes before the create began', async () => {
    await withExecutor(undefined, async (env) => {
      const made = env.emulator.control.uiCreateAudience(DEMO_CLIENT.orgId, 'prod', quiet('gold').spec);
      // The intent written 10 minutes after that audience was made.
      await interruptedCreate(env, { startedAt: new Date(Date.now() + 10 * 60_000) });
      const outcome = await env.apply([quiet('gold')]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      expect(outcome.report?.results[0]?.message).toContain(`${made.id} (created `);
      const gold = await env.store().get('prod', 'gold');
      expect(gold?.audienceId).toBeUndefined();
      expect(gold?.blocked?.code).toBe('100950-409');
    });
  });

  it('no audience of its name another record holds', async () => {
    await withExecutor(undefined, async (env) => {
      await env.apply([quiet('silver')]);
      const silverId = (await env.store().get('prod', 'silver'))!.audienceId!;
      // Renamed in the UI to gold's name: the service now refuses gold's create as a duplicate.
      env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', silverId, { name: 'Audience gold' });
      await interruptedCreate(env);
      const outcome = await env.apply([quiet('silver'), quiet('gold')]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      const state = (await env.store().readAll()).audiences;
      expect(state.map((r) => [r.key, r.audienceId])).toEqual([
        ['gold', undefined],
        ['silver', silverId],
      ]);
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });
});
