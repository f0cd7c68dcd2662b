import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { listRecordIds } from '../../src/state/read.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';

// The configuration file's `defaultSandbox` places the manifests that name no sandbox for
// `audiencectl run` too (docs/configuration.md): after `--sandbox`, before AEP_SANDBOX.
// test/cli/default-sandbox-cli.spec.ts shows it for validate, plan, apply and state.

const spec = controllerSpec('audiencectl-run-sandbox-');

describe('audiencectl run --config with defaultSandbox', () => {
  it('creates a manifest without metadata.sandbox in the sandbox of the file, not of AEP_SANDBOX', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    const config = path.join(root, 'audiencectl.yaml');
    await mkdir(dir);
    await writeFile(config, 'defaultSandbox: dev\nsandboxes:\n  dev: {}\n');
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));

    // AEP_SANDBOX=prod set explicitly: the file wins over the environment.
    const env = { ...controllerEnv(em), AEP_SANDBOX: 'prod' };
    const ctl = await spec.start(
      ['--dir', dir, '--state', state, '--config', config, '--interval', '1h'],
      env,
    );
    const status = await statusWhen(
      ctl,
      (s) => s.reconcile.lastFinishedAt !== null && s.audiences.length > 0,
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
