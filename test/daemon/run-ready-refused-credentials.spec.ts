import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * REVIEW chart-43 H-1 (fixed: src/daemon/status-board.ts readiness, src/aep/credentials-refused.ts). docs/deploy.md's Install ends with `helm test`, which waits for
 * `/readyz` and calls the release good; `kubectl get pods` shows the pod Ready from the same
 * probe. A team installs with a client secret IMS refuses (a typo, a secret rotated in the
 * Adobe console, the wrong project's): `/readyz` answers `{"ready":true}` once git synced,
 * `helm test` passes, the pod is 1/1 Ready, and every pass fails (`reconcile failed`,
 * `AEP_AUTH`, in a log nobody reads after a green test): nothing is ever applied, and nothing
 * the cluster shows says so. A controller that can never reach AEP with its configuration is
 * not ready: the probe (and so `helm test`) should fail, saying why in one line.
 *
 * Here: the built controller with a client secret the emulated IMS refuses, over real HTTP;
 * and one whose IMS cannot be reached (an outage, not its configuration), which stays ready.
 */
/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** gold in root/manifests, and an empty root/state. */
async function manifests(root: string): Promise<{ dir: string; state: string }> {
  const dir = path.join(root, 'manifests');
  await mkdir(dir);
  await mkdir(path.join(root, 'state'));
  await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
  return { dir, state: path.join(root, 'state') };
}

const spec = controllerSpec('review-chart-43-credentials-');

describe('a controller whose AEP credentials IMS refuses', () => {
  it('is not ready, and /readyz says why', async () => {
    const { em: emulator, root } = await spec.setUp();
    const { dir, state } = await manifests(root);
    const controller = await spec.start(['--dir', dir, '--state', state, '--interval', '1h'], {
      ...controllerEnv(emulator),
      AEP_CLIENT_SECRET: 'rotated-in-the-console',
      AUDIENCECTL_LOG_LEVEL: 'info',
    });
    const failed = await controller.waitForLog((line) => line.msg === 'reconcile failed');
    expect(failed['code']).toBe('AEP_AUTH');
    const response = await fetch(`${controller.url}/readyz`);
    const body = (await response.json()) as { ready: boolean; reason?: string };
    expect(body.ready).toBe(false);
    expect(response.status).toBe(503);
    expect(body.reason).toContain('AEP_AUTH');
    expect(body.reason).not.toContain('rotated-in-the-console');
  });

  it('stays ready while IMS cannot be reached', async () => {
    const { em: emulator, root } = await spec.setUp();
    const { dir, state } = await manifests(root);
    const controller = await spec.start(['--dir', dir, '--state', state, '--interval', '1h'], {
      ...controllerEnv(emulator),
      AEP_IMS_URL: `http://127.0.0.1:${await closedPort()}/ims/token/v3`,
      AUDIENCECTL_LOG_LEVEL: 'info',
    });
    const failed = await controller.waitForLog((line) => line.msg === 'reconcile failed');
    expect(failed['code']).toBe('AEP_AUTH');
    expect(String(failed['err'])).toContain('Cannot reach IMS');
    const response = await fetch(`${controller.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true });
  });
});
