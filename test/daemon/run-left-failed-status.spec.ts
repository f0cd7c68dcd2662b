import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

// Review 35b, M-2. The controller follows a run it started for --run-wait, then leaves it
// (`waiting-run`). Nothing reads that run again unless another run of the audience comes due:
// the next pass (a resync) shows the audience `in-sync` and no `lastRunFailure`, though the run
// FAILED. docs/controller.md: `audiences[].lastRunFailure` "present when the audience's last
// ingestion run failed"; README: "the controller's /status (audiences[].lastRunFailure) say the
// same". The marketing team is told the onCreate ingestion is fine; the audience stays empty.

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

describe('a run the controller left in progress (review 35b)', () => {
  it('shows its failure on /status once it failed', async () => {
    // Every run fails, at its second stage, 2 x 1.5 s after it started.
    emulator = await startEmulator({ port: 0, runStageDelayMs: 1_500, faults: { runFailure: 1 } });
    root = await mkdtemp(path.join(tmpdir(), 'review-35b-run-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
    controller = await startController(
      [
        ...['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h'],
        ...['--run-wait', '1s', '--resync-interval', '2s', '--refresh-interval', '0'],
      ],
      controllerEnv(emulator),
    );
    const ctl = controller;
    const em = emulator;
    // The first pass creates gold, starts its onCreate run and leaves it after --run-wait.
    await eventually(
      () => ctl.status(),
      (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'waiting-run'),
      30_000,
      'gold waiting for its run',
    );
    const [audience] = em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
    const run = await eventually(
      () => em.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, audience!.audienceId),
      (runs) => runs.length === 1 && runs[0]!.status === 'FAILED',
      30_000,
      'the run failed on the service',
    );
    const failedBy = new Date().toISOString();
    // A whole pass after the run failed (a resync).
    const status = await eventually(
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
