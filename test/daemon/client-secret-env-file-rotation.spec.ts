import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorClient, type RunningEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventually,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';
import { runCli } from '../helpers/cli.js';

// Review secrets-44 (last pass's leftover 2). Without a configuration file the client secret is
// AEP_CLIENT_SECRET, which the chart sets from its Secret (secretKeyRef) and a running pod never
// sees change: rotated as Adobe Developer Console has it done (add a new secret, put it in the
// Secret, delete the old one), the controller keeps the old one, and once its token expires IMS
// refuses every renewal and every pass fails until a restart. A secret given as a file
// (AEP_CLIENT_SECRET_FILE, a mounted Secret's key) should be read again when IMS refuses it, as
// a configuration file's clientSecretFile is (198e4679), the secrets never shown.

const OLD = 'p8e-OLDsecretCANARY-4f1a9c2e7b3d5a8f';
const NEW = 'p8e-NEWsecretCANARY-9a7c5e3b1d2f4a6c';
const CLIENT: EmulatorClient = {
  clientId: 'rotating-client',
  clientSecret: OLD,
  orgId: 'ROTATE0RG00000000000000@AdobeOrg',
};

let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

describe('AEP_CLIENT_SECRET_FILE (review secrets-44, leftover 2)', () => {
  it('is read again when IMS refuses the secret: a rotated secret is used without a restart', async () => {
    const client = { ...CLIENT };
    emulator = await startEmulator({ port: 0, clients: [client] });
    const em = emulator;
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-secret-rotate-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    const secretFile = path.join(root, 'client-secret');
    await writeFile(secretFile, `${OLD}\n`);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const env = controllerEnv(em);
    delete env['AEP_CLIENT_SECRET'];
    env['AEP_CLIENT_ID'] = client.clientId;
    env['AEP_ORG_ID'] = client.orgId;
    env['AEP_CLIENT_SECRET_FILE'] = secretFile;
    controller = await startController(
      ['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h'],
      env,
    );
    const ctl = controller;
    await eventually(
      () => ctl.status(),
      (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'in-sync') && !s.reconcile.running,
      20_000,
      'gold created with the first secret',
    );

    // Rotated: IMS takes only the new secret, the mounted file holds it, and the token the
    // controller holds has expired (the emulator's clock two days on).
    client.clientSecret = NEW;
    await writeFile(secretFile, `${NEW}\n`);
    em.control.updateSettings({ clockOffsetMs: 2 * 86_400_000 });
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { ingestion: { onCreate: false } }),
    );
    const status = await eventually(
      () => ctl.status(),
      (s) =>
        (s.audiences.some((a) => a.key === 'silver' && a.state === 'in-sync') ||
          s.reconcile.lastError !== null) &&
        !s.reconcile.running,
      20_000,
      'the pass after the rotation',
    );
    expect(JSON.stringify(status.reconcile.lastError)).toBe('null');
    expect(status.audiences.find((a) => a.key === 'silver')?.state).toBe('in-sync');
    const shown = JSON.stringify(ctl.logs) + ctl.stdout() + JSON.stringify(status);
    expect(shown).not.toContain(OLD);
    expect(shown).not.toContain(NEW);
  });

  it('given with AEP_CLIENT_SECRET too is refused in one line naming both, neither secret shown', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-secret-rotate-'));
    const secretFile = path.join(root, 'client-secret');
    await writeFile(secretFile, `${NEW}\n`);
    const result = await runCli(['apply', root, '--state', path.join(root, 'state'), '--auto-approve'], {
      env: {
        AEP_CLIENT_ID: CLIENT.clientId,
        AEP_ORG_ID: CLIENT.orgId,
        AEP_CLIENT_SECRET: OLD,
        AEP_CLIENT_SECRET_FILE: secretFile,
      },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      'AEP_CLIENT_SECRET_FILE: give the client secret either with AEP_CLIENT_SECRET_FILE or AEP_CLIENT_SECRET, not both',
    );
    expect(result.stdout + result.stderr).not.toContain(OLD);
    expect(result.stdout + result.stderr).not.toContain(NEW);
  });
});
