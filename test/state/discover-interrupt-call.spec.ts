import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { CLI } from '../helpers/cli.js';
import { startGateway } from '../helpers/gateway.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord } from './helpers.js';

// Review 38v, L-2: docs/state.md ("The lock") says that under the lock `state import|forget|settle-run`
// "(and `import --discover`) stop at once until they write, a call to AEP in flight ended"
// (9a0a170c). `import --discover` shares withLock, but its calls to AEP (the inactive audiences'
// list, the name lookups) are not given the signal: Ctrl-C while one is unanswered ends nothing.
// The command waits the call out (30 s per attempt, then its retries) before it stops.

const dirs: string[] = [];
const children: Array<{ kill(): boolean }> = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
const temp = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'review-discover-'));
  dirs.push(dir);
  return dir;
};

describe('state import --discover: Ctrl-C while its call to AEP is unanswered', () => {
  it('ends the call and stops at once, nothing changed', { timeout: 25_000 }, async () => {
    await withEmulator({}, async (emulator) => {
      const location = await temp();
      const store = await openStateStore(location);
      await store.lock();
      await store.put(aRecord('silver'));
      await store.close();
      const manifests = await temp();
      await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold'));
      const gateway = await startGateway(emulator.url);
      gateway.choose((method, url) =>
        method === 'GET' && url.startsWith('/data/core/ups/audiences') ? 'hold' : 'pass',
      );
      try {
        const env = Object.fromEntries(
          Object.entries(process.env).filter(([n]) => !n.startsWith('AEP_') && !n.startsWith('AUDIENCECTL_')),
        );
        const child = spawn(
          process.execPath,
          [CLI, 'state', 'import', '--discover', manifests, '--sandbox', 'prod', '--state', location],
          {
            env: {
              ...env,
              NO_COLOR: '1',
              ...emulatorEnv(emulator, { AEP_BASE_URL: `${gateway.url}/data/core/ais` }),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        children.push(child);
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        await Promise.race([gateway.held, exited.then(() => Promise.reject(new Error(stderr)))]);
        child.kill('SIGINT');
        const code = await exited;
        expect({ code, stderr }).toEqual({
          code: 130,
          stderr: `Error: interrupted (SIGINT): nothing was changed in ${location}; run the command again\n`,
        });
      } finally {
        await gateway.close();
      }
    });
  });
});
