import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { packagesLoaded, recordingLoads } from '../helpers/loads.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Issue 15, start-up: an apply of manifests outside any git work tree has no commit to record,
 * and loaded simple-git (its package and its debug dependency) to ask git for one. It now loads
 * it only when a `.git` is above the manifests. Measured as apply-start-up-loads.spec.ts does:
 * a loader hook records every module the process loads.
 */
describe('apply outside a git repository does not load simple-git', () => {
  it('an apply outside git loads no simple-git and records no commit; in a git work tree it loads it and records the commit', async () => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const log = path.join(dir, 'loaded.txt');
        const args = ['apply', 'm', '--state', state, '--auto-approve'];
        const env = () => ({ ...emulatorEnv(emulator), ...recordingLoads(dir, log) });

        const outside = await runCli(args, { cwd: dir, env: env() });
        expect(outside.code, outside.stderr).toBe(0);
        expect(outside.stdout).toMatch(/1 applied/);
        const loaded = packagesLoaded(log);
        expect(loaded.has('simple-git')).toBe(false);
        // The witness sees the bundle's packages (it would pass on an empty log otherwise).
        expect(loaded.has('commander')).toBe(true);
        expect(await recordedCommits(state)).toEqual([undefined]);

        // The same directory made a git work tree: the apply reads and records its commit.
        const git = (...gitArgs: string[]) =>
          promisify(execFile)('git', gitArgs, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
        await git('init', '-q');
        await git('add', 'm');
        await git('commit', '-qm', 'gold');
        const head = (await git('rev-parse', 'HEAD')).stdout.trim();
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', { ...NO_RUN, spec: { description: 'changed here' } }),
        });
        await git('commit', '-qam', 'gold changed');
        const changed = (await git('rev-parse', 'HEAD')).stdout.trim();
        expect(changed).not.toBe(head);
        const inside = await runCli(args, { cwd: dir, env: env() });
        expect(inside.code, inside.stderr).toBe(0);
        expect(inside.stdout).toMatch(/1 applied/);
        expect(packagesLoaded(log).has('simple-git')).toBe(true);
        expect(await recordedCommits(state)).toEqual([changed]);
      });
    });
  });
});

/** The commit each record of the directory store says it was applied from. */
async function recordedCommits(state: string): Promise<(string | undefined)[]> {
  const commits: (string | undefined)[] = [];
  const root = path.join(state, 'audiences');
  for (const sandbox of await readdir(root)) {
    for (const file of await readdir(path.join(root, sandbox))) {
      const record = JSON.parse(await readFile(path.join(root, sandbox, file), 'utf8')) as {
        applied?: { revision?: { commit?: string } };
      };
      commits.push(record.applied?.revision?.commit);
    }
  }
  return commits;
}
