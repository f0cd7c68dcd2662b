import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { packagesLoaded, recordingLoads } from '../helpers/loads.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * `init` loaded the whole AEP client (got, pino, p-queue) with its command, so `init --help` and
 * an `init` refused for a flag paid it (about 0.2 CPU-s of 0.4), and built a client only to name
 * each sandbox's org; `apply` loaded simple-git with its command, so `apply --help` paid it
 * (review known-42, L-1; issue 15). A loader hook records what the spawned CLI loads. (An apply
 * still reads its commit with git, in a git work tree or not, so it loads simple-git.)
 */
const THE_HTTP_CLIENT = ['got', 'p-queue', 'pino'];

describe('init and apply load the AEP client and simple-git only when they use them', () => {
  it('init --help, an init refused for its flags and apply --help load neither; init still checks the credentials', async () => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const log = path.join(dir, 'loaded.txt');
        const loads = async (args: string[]) => {
          await runCli(args, { cwd: dir, env: { ...env, ...recordingLoads(dir, log) } });
          return packagesLoaded(log);
        };

        const initHelp = await loads(['init', '--help']);
        expect(initHelp.has('commander')).toBe(true);
        expect(THE_HTTP_CLIENT.filter((name) => initHelp.has(name))).toEqual([]);
        const initRefused = await loads(['init', '--state', state, '--no-such-flag']);
        expect(THE_HTTP_CLIENT.filter((name) => initRefused.has(name))).toEqual([]);

        const applyHelp = await loads(['apply', '--help']);
        expect(applyHelp.has('commander')).toBe(true);
        expect(applyHelp.has('simple-git')).toBe(false);

        // The check itself still works: the embedded emulator's demo credentials, then the store.
        const checked = await runCli(['init', '--state', path.join(dir, 'other'), '--emulator'], {
          cwd: dir,
          env,
        });
        expect(checked.code, checked.stderr).toBe(0);
        expect(checked.stdout).toMatch(/^Credentials: IMS at .* issued a token to client audiencectl-demo/);
      });
    });
  });
});
