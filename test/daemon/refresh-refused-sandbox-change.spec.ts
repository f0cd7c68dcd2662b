import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// REVIEW-37v M-2: 0d1ff1b (review 37a M-1) reads each sandbox on its own, and docs/controller.md
// says a sandbox whose credentials IMS refuses is planned from its records "(manifest changes
// still go through), while the other sandboxes' are planned from what was read, so their drift
// is still corrected". The fix's spec has no change in the refused sandbox. With one (a
// description edited in the partner manifest), the pass's token check of every sandbox its
// steps call refuses the partner's token and stops the whole pass: prod's drift is not corrected.
const spec = controllerSpec('verify-37-');

describe('run: refresh with one sandbox refused by IMS, and a manifest change in that sandbox', () => {
  it('still re-creates the audience of the other sandbox deleted outside audiencectl', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    const config = path.join(root, 'audiencectl.yaml');
    await mkdir(dir);
    await writeFile(
      config,
      'defaultSandbox: prod\nsandboxes:\n  prod: {}\n  partner:\n    clientSecretEnv: PARTNER_SECRET\n',
    );
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const pgold = { metadata: { sandbox: 'partner' }, ingestion: { onCreate: false } };
    await writeFile(path.join(dir, 'pgold.yaml'), manifestYaml('pgold', pgold));
    const args = ['--dir', dir, '--state', state, '--config', config, '--interval', '1h'];

    const first = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: DEMO_CLIENT.clientSecret });
    await statusWhen(
      first,
      (s) => s.audiences.length === 2 && s.audiences.every((a) => a.state === 'in-sync'),
      'both audiences created',
    );
    await first.stop();

    // gold is deleted in the UI; partner's manifest is edited; the partner secret is rotated.
    const gold = em.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]!;
    em.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', gold.audienceId);
    await writeFile(
      path.join(dir, 'pgold.yaml'),
      manifestYaml('pgold', { ...pgold, spec: { description: 'About pgold, edited' } }),
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
