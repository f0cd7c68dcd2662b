import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';
import { bothCreatedThenGoldDeleted } from './helpers/two-sandboxes.js';

// Review 37a, M-1: a controller over two sandboxes, one of whose credentials IMS refuses
// (a rotated secret of the partner sandbox). Its refresh of the *other* sandbox was thrown
// away with it: an audience deleted outside audiencectl in prod was not created again, and
// /status kept calling it `in-sync` under an id that no longer existed. Each sandbox is read
// on its own: prod's drift is corrected, partner's audiences are planned from their records.

const spec = controllerSpec('review-37a-');

describe('run: refresh with one sandbox refused by IMS', () => {
  it('still re-creates an audience of another sandbox deleted outside audiencectl', async () => {
    // Both created while both secrets are good; gold deleted in the UI; the partner secret is rotated.
    const { em, args } = await bothCreatedThenGoldDeleted(spec);
    const ctl = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: 'rotated-away-secret' });
    const status = await statusWhen(
      ctl,
      (s) => s.refresh?.lastError != null && s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first refresh',
    );
    expect(status.refresh?.lastError?.message).toContain('sandbox "partner"');
    expect(status.refresh?.lastError?.message).not.toContain('sandbox "prod"');
    expect(status.refresh?.lastError?.code).toBe('REFRESH_FAILED');
    // Not a complete refresh: partner's audiences were not read.
    expect(status.refresh?.lastAt).toBeNull();
    expect(status.refresh?.drifted.map((d) => `${d.sandbox}/${d.key} ${d.kind} ${d.corrected}`)).toEqual([
      'prod/gold deleted true',
    ]);

    // prod's own refresh could read prod: its deleted audience is created again.
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
      'Audience gold',
    ]);
  }, 90_000);
});
