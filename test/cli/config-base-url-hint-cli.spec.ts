import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDirStore, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// review-36a L: the API base comes from `baseUrl` of the configuration file (which wins over
// AEP_BASE_URL). When it cannot be reached, the error says "check AEP_BASE_URL": the variable
// the file overrode, here set to a working URL. The IMS twin names `imsUrl in <file>`, and
// docs/configuration.md promises "Messages name the setting to check".

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('an unreachable baseUrl from the configuration file', () => {
  it('names baseUrl in the file, not the AEP_BASE_URL it overrode', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const port = await closedPort();
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
          'aep.yaml': [
            `baseUrl: http://127.0.0.1:${port}/data/core/ais`,
            'retry: { baseDelayMs: 5, maxDelayMs: 20 }',
            '',
          ].join('\n'),
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const result = await runCli(
          ['apply', 'm', '--state', state, '--config', 'aep.yaml', '--auto-approve'],
          // AEP_BASE_URL points at the (working) emulator: the file's baseUrl wins over it.
          { cwd: dir, env: emulatorEnv(emulator) },
        );
        expect(result.code).toBe(1);
        expect(result.stdout).toContain('Cannot reach AEP (ECONNREFUSED)');
        expect(result.stdout).not.toContain('check AEP_BASE_URL');
        expect(result.stdout).toContain('check baseUrl in aep.yaml');
      });
    });
  });
});
