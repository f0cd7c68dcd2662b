import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { assertBuilt, cleanUp, eventually, eventuallyLogged, type TestParts } from './helpers/controller.js';
import { controllerLeavingGoldsRun } from './helpers/left-run.js';

// Review 35b, M-2. The controller follows a run it started for --run-wait, then leaves it
// (`waiting-run`). Nothing reads that run again unless another run of the audience comes due:
// the next pass (a resync) shows the audience `in-sync` and no `lastRunFailure`, though the run
// FAILED. docs/controller.md: `audiences[].lastRunFailure` "present when the audience's last
// ingestion run failed"; README: "the controller's /status (audiences[].lastRunFailure) say the
// same". The marketing team is told the onCreate ingestion is fine; the audience stays empty.

let parts: TestParts = {};

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp(parts);
  parts = {};
});

describe('a run the controller left in progress (review 35b)', () => {
  it('shows its failure on /status once it failed', async () => {
    // Every run fails, at its second stage, 2 x 1.5 s after it started.
    const em = await startEmulator({ port: 0, runStageDelayMs: 1_500, faults: { runFailure: 1 } });
    parts.emulator = em;
    // The first pass creates gold, starts its onCreate run and leaves it after --run-wait.
    const ctl = await controllerLeavingGoldsRun(em, manifestYaml('gold'), parts);
    const [audience] = em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
    const run = await eventually(
      () => em.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, audience!.audienceId),
      (runs) => runs.length === 1 && runs[0]!.status === 'FAILED',
      30_000,
      'the run failed on the service',
    );
    const failedBy = new Date().toISOString();
    // A whole pass after the run failed (a resync).
    const status = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) =>
        s.reconcile.lastStartedAt !== null &&
        s.reconcile.lastStartedAt > failedBy &&
        !s.reconcile.running &&
        s.reconcile.lastResult === 'success',
      30_000,
      'a pass after the run failed',
    );
    const gold = status.audiences.find((a) => a.key === 'gold');
    expect(gold?.lastRunFailure, `gold on /status: ${JSON.stringify(gold)}`).toEqual({
      runId: run[0]!.runId,
      reason: 'Profile ingestion failed (injected runFailure fault).',
      next: 'change ingestion.request to start a new run',
    });
  });
});
