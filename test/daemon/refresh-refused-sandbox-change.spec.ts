import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';
import { bothCreatedThenGoldDeleted, PGOLD } from './helpers/two-sandboxes.js';

// REVIEW-37v M-2: 0d1ff1b (review 37a M-1) reads each sandbox on its own, and docs/controller.md
// says a sandbox whose credentials IMS refuses is planned from its records "(manifest changes
// still go through), while the other sandboxes' are planned from what was read, so their drift
// is still corrected". The fix's spec has no change in the refused sandbox. With one (a
// description edited in the partner manifest), the pass's token check of every sandbox its
// steps call refuses the partner's token and stops the whole pass: prod's drift is not corrected.
const spec = controllerSpec('verify-37-');

describe('run: refresh with one sandbox refused by IMS, and a manifest change in that sandbox', () => {
  it('still re-creates the audience of the other sandbox deleted outside audiencectl', async () => {
    // gold deleted in the UI; partner's manifest is edited; the partner secret is rotated.
    const { em, dir, args } = await bothCreatedThenGoldDeleted(spec);
    await writeFile(
      path.join(dir, 'pgold.yaml'),
      manifestYaml('pgold', { ...PGOLD, spec: { description: 'About pgold, edited' } }),
    );
    const ctl = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: 'rotated-away-secret' });
    const status = await statusWhen(
      ctl,
      (s) => s.reconcile.lastFinishedAt !== null && !s.reconcile.running,
      'the first pass',
    );
    // prod's own audience deleted in the UI is created again; partner's failure is its own.
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
      'Audience gold',
    ]);
    expect(status.refresh?.lastError?.message).toContain('sandbox "partner"');
    // partner's edit is held, named on /status with IMS's refusal; it is not sent.
    const pgoldStatus = status.audiences.find((a) => a.key === 'pgold');
    expect([pgoldStatus?.state, pgoldStatus?.lastError?.code]).toEqual(['blocked', 'STEP_BLOCKED']);
    expect(pgoldStatus?.lastError?.message).toContain('no token for sandbox "partner"');
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'partner').map((a) => a.description)).toEqual([
      'About pgold',
    ]);
  }, 90_000);
});
