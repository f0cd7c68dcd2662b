import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { listRecordIds } from '../../src/state/read.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

// The configuration file's `defaultSandbox` places the manifests that name no sandbox for
// `audiencectl run` too (docs/configuration.md): after `--sandbox`, before AEP_SANDBOX.
// test/cli/default-sandbox-cli.spec.ts shows it for validate, plan, apply and state.

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;

beforeAll(assertBuilt);

afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

describe('audiencectl run --config with defaultSandbox', () => {
  it('creates a manifest without metadata.sandbox in the sandbox of the file, not of AEP_SANDBOX', async () => {
    emulator = await startEmulator({ port: 0 });
    const em = emulator;
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-run-sandbox-'));
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    const config = path.join(root, 'audiencectl.yaml');
    await mkdir(dir);
    await writeFile(config, 'defaultSandbox: dev\nsandboxes:\n  dev: {}\n');
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));

    // AEP_SANDBOX=prod set explicitly: the file wins over the environment.
    const env = { ...controllerEnv(em), AEP_SANDBOX: 'prod' };
    controller = await startController(
      ['--dir', dir, '--state', state, '--config', config, '--interval', '1h'],
      env,
    );
    const ctl = controller;
    const status = await eventually(
      () => ctl.status(),
      (s) => s.reconcile.lastFinishedAt !== null && s.audiences.length > 0,
      20_000,
      'the first pass',
    );
    expect(status.reconcile.lastResult).toBe('success');
    expect(status.audiences).toEqual([
      expect.objectContaining({ sandbox: 'dev', key: 'gold', state: 'in-sync' }),
    ]);
    expect((await ctl.stop()).code).toBe(0);

    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'dev').map((a) => a.audienceName)).toEqual([
      'Audience gold',
    ]);
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
    expect(await listRecordIds(state)).toEqual([['dev', 'gold']]);
    // The change from what AEP_SANDBOX says is told, once.
    const warnings = ctl.logs.filter((line) => line.raw === true && String(line.msg).startsWith('Warning:'));
    expect(warnings.map((line) => line.msg)).toEqual([
      `Warning: the defaultSandbox "dev" of the configuration file ${config} is used, not AEP_SANDBOX "prod" (the file wins over the environment)`,
    ]);
  });
});
