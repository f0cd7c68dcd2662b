import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

// REVIEW-37a L-1: a store shared by two teams' directories (README, "Only a removed manifest
// deletes"). Team a's controller leaves team b's audience alone, and its /status must not call
// that healthy audience `blocked` with `MANIFEST_INVALID` (the state of a broken file's audience,
// which needs a person): it is not listed there, still counted as held and named on /plan.

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;
beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

describe("run: another directory's audiences in a shared store", () => {
  it('are not reported as blocked by an invalid manifest', async () => {
    emulator = await startEmulator({ port: 0 });
    const em = emulator;
    root = await mkdtemp(path.join(tmpdir(), 'review-37a-'));
    const teamA = path.join(root, 'teams', 'a');
    const teamB = path.join(root, 'teams', 'b');
    const state = path.join(root, 'state');
    await mkdir(teamA, { recursive: true });
    await mkdir(teamB, { recursive: true });
    await mkdir(state);
    const quiet = { ingestion: { onCreate: false } };
    await writeFile(path.join(teamA, 'alpha.yaml'), manifestYaml('alpha', quiet));
    await writeFile(path.join(teamB, 'beta.yaml'), manifestYaml('beta', quiet));
    const applied = await runCli(['apply', teamB, '--state', state, '--auto-approve'], {
      env: emulatorEnv(em),
    });
    expect(applied.code).toBe(0);

    controller = await startController(
      ['--dir', teamA, '--state', state, '--interval', '1h'],
      controllerEnv(em),
    );
    const ctl = controller;
    const status = await eventually(
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
      'the first pass',
    );
    const beta = status.audiences.find((a) => a.key === 'beta');
    expect(status.diagnostics).toEqual([]);
    expect(beta?.lastError?.code).not.toBe('MANIFEST_INVALID');
    expect(beta?.state).not.toBe('blocked');
    // Left out of this controller's audiences, still counted as held and named on /plan.
    expect(status.audiences.map((a) => `${a.key} ${a.state}`)).toEqual(['alpha in-sync']);
    expect(status.plan?.summary['held']).toBe(1);
    const planned = await fetch(`${ctl.url}/plan`);
    expect(await planned.text()).toContain('prod/beta');
  }, 60_000);
});
