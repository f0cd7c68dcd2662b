import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_CLIENT, type RunningEmulator } from '../../../src/emulator/index.js';
import { manifestYaml } from '../../helpers/manifests.js';
import { controllerEnv } from './controller.js';
import { statusWhen, type ControllerSpec } from './controller-spec.js';

/** partner's manifest in the specs below: no run on create. */
export const PGOLD = { metadata: { sandbox: 'partner' }, ingestion: { onCreate: false } };

/** What `bothCreated` leaves: the emulator, the manifests directory, the next controller's flags. */
export type BothCreated = { em: RunningEmulator; dir: string; args: string[] };

/**
 * The start of the refused-sandbox specs: prod's `gold` and partner's `pgold` (the partner with a
 * secret of its own, PARTNER_SECRET) created by a controller while both secrets are good (`args`
 * and `extra`, its other flags), then that controller stopped. The caller changes what it tests
 * and restarts the controller (`args`, `extra` included) with the partner's secret rotated.
 */
export async function bothCreated(spec: ControllerSpec, extra: string[] = []): Promise<BothCreated> {
  const { em, root } = await spec.setUp();
  const dir = path.join(root, 'manifests');
  const config = path.join(root, 'audiencectl.yaml');
  await mkdir(dir);
  await writeFile(
    config,
    'defaultSandbox: prod\nsandboxes:\n  prod: {}\n  partner:\n    clientSecretEnv: PARTNER_SECRET\n',
  );
  await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
  await writeFile(path.join(dir, 'pgold.yaml'), manifestYaml('pgold', PGOLD));
  const args = [
    ...['--dir', dir, '--state', path.join(root, 'state'), '--config', config, '--interval', '1h'],
    ...extra,
  ];

  const first = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: DEMO_CLIENT.clientSecret });
  await statusWhen(
    first,
    (s) => s.audiences.length === 2 && s.audiences.every((a) => a.state === 'in-sync'),
    'both audiences created',
  );
  await first.stop();
  return { em, dir, args };
}

/** bothCreated, then `gold` deleted in the UI. */
export async function bothCreatedThenGoldDeleted(spec: ControllerSpec): Promise<BothCreated> {
  const created = await bothCreated(spec);
  const { em } = created;
  const gold = em.control.listAudiences(DEMO_CLIENT.orgId, 'prod')[0]!;
  em.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', gold.audienceId);
  return created;
}
