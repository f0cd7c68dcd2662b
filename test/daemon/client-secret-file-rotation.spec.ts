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

// Review secrets-43 M-2 (last pass's known gap 3, the AEP client secret). A configuration file's
// `clientSecretFile` (a mounted Secret) is read once, when the controller starts. Rotating the
// client secret as Adobe Developer Console has it done (add a new secret, put it in the Secret,
// delete the old one) leaves the running controller with the old one: once its token expires
// IMS refuses every renewal (401 invalid_client) and every pass fails until a restart. The file
// should be read again when IMS refuses the secret, and the pass go on, the secrets never shown.

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

describe("a configuration file's clientSecretFile (review secrets-43, gap 3)", () => {
  it('is read again when IMS refuses the secret: a rotated secret is used without a restart', async () => {
    const client = { ...CLIENT };
    emulator = await startEmulator({ port: 0, clients: [client] });
    const em = emulator;
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-secret-rotate-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    const secretFile = path.join(root, 'client-secret');
    await writeFile(secretFile, `${OLD}\n`);
    const config = path.join(root, 'aep.yaml');
    await writeFile(
      config,
      [
        'credentials:',
        `  clientId: ${client.clientId}`,
        `  orgId: ${client.orgId}`,
        `  clientSecretFile: ${secretFile}`,
        '',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const env = controllerEnv(em);
    delete env['AEP_CLIENT_ID'];
    delete env['AEP_CLIENT_SECRET'];
    delete env['AEP_ORG_ID'];
    controller = await startController(
      ['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h', '--config', config],
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
});
