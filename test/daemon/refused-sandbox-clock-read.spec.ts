import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';
import { bothCreated, PGOLD } from './helpers/two-sandboxes.js';

// Review 39, H-1. docs/controller.md: a sandbox whose credentials IMS refuses has its steps held, "the other
// sandboxes' steps are applied; only when every sandbox the steps call is refused does the pass
// fail as a whole". But a pass with a run to start and no recent reading of AEP's clock (no
// refresh: --refresh-interval 0, or the first pass after a restart between refreshes) reads the
// clock in the first run's sandbox; that sandbox refused, the AepAuthError fails the whole pass:
// prod's edit is never sent, /status says AEP_AUTH and names no sandbox's audience, and every
// retry fails the same way for as long as the partner's secret stays rotated. The clock is now
// read in another sandbox of the plan when the run's is refused.

const spec = controllerSpec('refused-sandbox-clock-');
const ORG = DEMO_CLIENT.orgId;

describe('run: a run to start in a sandbox IMS refuses, AEP clock not read yet', () => {
  it("still applies the other sandbox's change, and names the refused one's audience", async () => {
    const { em, dir, args } = await bothCreated(spec, ['--refresh-interval', '0']);

    // prod's description edited; partner's audience asked for a run; the partner secret rotated.
    await writeFile(
      path.join(dir, 'gold.yaml'),
      manifestYaml('gold', { ingestion: { onCreate: false }, spec: { description: 'About gold, edited' } }),
    );
    await writeFile(
      path.join(dir, 'pgold.yaml'),
      manifestYaml('pgold', { ...PGOLD, ingestion: { onCreate: false, request: 'r1' } }),
    );
    const ctl = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: 'rotated-away-secret' });
    const status = await statusWhen(
      ctl,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the first pass',
    );
    const pgold = status.audiences.find((a) => a.key === 'pgold');
    expect({
      result: status.reconcile.lastResult,
      error: status.reconcile.lastError?.code ?? null,
      prod: em.control.listAudiences(ORG, 'prod').map((a) => a.description),
      pgold: [pgold?.state, pgold?.lastError?.code],
      partnerRuns: em.control.listRuns(ORG, 'partner').length,
    }).toEqual({
      result: 'success',
      error: null,
      prod: ['About gold, edited'],
      pgold: ['blocked', 'STEP_BLOCKED'],
      partnerRuns: 0,
    });
    expect(pgold?.lastError?.message).toContain('no token for sandbox "partner"');
  }, 90_000);
});
