import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review verify-42 L-1: 06d0178d refuses an http:// AEP_BASE_URL / AEP_IMS_URL to any host but
 * this machine, to keep a real client secret off the network. `audiencectl emulator --host
 * <address>` (docs/emulator.md: the interface to bind; a CI service container, a compose
 * service, a teammate's machine) prints `export AEP_BASE_URL=http://<address>:<port>/...` with
 * its demo client, whose secret it prints beside them: audiencectl now refuses exactly those
 * settings ("AEP_IMS_URL: must be an https:// URL ..."), and the emulator, which serves plain
 * http only, cannot be used from anywhere else. Nothing secret crosses the network with the
 * emulator's public demo client.
 */
function outsideAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal && address.family === 'IPv4') return address.address;
    }
  }
  throw new Error('this machine has no non-loopback IPv4 address to listen on');
}

describe('the emulator bound to another address than loopback', () => {
  it('is applied to with the settings it prints', async () => {
    await withTempDir(async (root) =>
      withEmulator({ host: outsideAddress() }, async (emulator) => {
        const env = emulatorEnv(emulator);
        expect(env.AEP_BASE_URL).toMatch(/^http:\/\/(?!127\.)\d/);
        await writeFiles(root, { 'aud/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }) });
        const state = path.join(root, 'state');
        const init = await runCli(['init', '--state', state], { cwd: root, env });
        expect(init.code, init.stderr).toBe(0);
        const applied = await runCli(['apply', 'aud', '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold']);
      }),
    );
  });
});
