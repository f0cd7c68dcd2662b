import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StatusSnapshot } from '../../../src/daemon/types.js';
import { startEmulator, type EmulatorClient } from '../../../src/emulator/index.js';
import { manifestYaml } from '../../helpers/manifests.js';
import { controllerEnv, eventuallyLogged, startController, type TestParts } from './controller.js';

/** The client secret before and after the rotation: canaries that must never be shown. */
export const OLD_SECRET = 'p8e-OLDsecretCANARY-4f1a9c2e7b3d5a8f';
export const NEW_SECRET = 'p8e-NEWsecretCANARY-9a7c5e3b1d2f4a6c';

/** The emulator's client whose secret is rotated (IMS takes only the current one). */
export const ROTATING_CLIENT: EmulatorClient = {
  clientId: 'rotating-client',
  clientSecret: OLD_SECRET,
  orgId: 'ROTATE0RG00000000000000@AdobeOrg',
};

/** Where the controller is told of the secret file: its arguments beyond the source and state, and its environment. */
export type SecretGiven = { args: string[]; env: Record<string, string> };

/**
 * A client secret rotated under a running controller, as Adobe Developer Console has it done:
 * `give` tells the controller of the file holding the first secret (its environment comes with
 * the emulator's address and no AEP_* credentials); once `gold` is in sync with it, IMS takes
 * only the new secret, the file holds it, the controller's token has expired (the emulator's
 * clock two days on) and `silver` is added. Resolves with the status after that pass and all
 * the controller has shown (logs, stdout, that status). Each part is put in `parts` as it is
 * made, for the spec's cleanUp.
 */
export async function clientSecretRotation(
  parts: TestParts,
  give: (setup: { root: string; secretFile: string; client: EmulatorClient }) => Promise<SecretGiven>,
): Promise<{ status: StatusSnapshot; shown: string }> {
  const client = { ...ROTATING_CLIENT };
  const em = await startEmulator({ port: 0, clients: [client] });
  parts.emulator = em;
  const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-secret-rotate-'));
  parts.dir = root;
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  const secretFile = path.join(root, 'client-secret');
  await writeFile(secretFile, `${OLD_SECRET}\n`);
  await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
  const env = controllerEnv(em);
  delete env['AEP_CLIENT_ID'];
  delete env['AEP_CLIENT_SECRET'];
  delete env['AEP_ORG_ID'];
  const given = await give({ root, secretFile, client });
  const ctl = await startController(
    ['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h', ...given.args],
    { ...env, ...given.env },
  );
  parts.controller = ctl;
  await eventuallyLogged(
    [ctl],
    () => ctl.status(),
    (s) => s.audiences.some((a) => a.key === 'gold' && a.state === 'in-sync') && !s.reconcile.running,
    20_000,
    'gold created with the first secret',
  );

  // Rotated: IMS takes only the new secret, the mounted file holds it, and the token the
  // controller holds has expired (the emulator's clock two days on).
  client.clientSecret = NEW_SECRET;
  await writeFile(secretFile, `${NEW_SECRET}\n`);
  em.control.updateSettings({ clockOffsetMs: 2 * 86_400_000 });
  await writeFile(path.join(dir, 'silver.yaml'), manifestYaml('silver', { ingestion: { onCreate: false } }));
  const status = await eventuallyLogged(
    [ctl],
    () => ctl.status(),
    (s) =>
      (s.audiences.some((a) => a.key === 'silver' && a.state === 'in-sync') ||
        s.reconcile.lastError !== null) &&
      !s.reconcile.running,
    20_000,
    'the pass after the rotation',
  );
  return { status, shown: JSON.stringify(ctl.logs) + ctl.stdout() + JSON.stringify(status) };
}
