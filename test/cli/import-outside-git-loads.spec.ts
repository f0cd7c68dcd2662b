import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { packagesLoaded, recordingLoads } from '../helpers/loads.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * Issue 15, start-up: `state import` (by id, and `--discover`) of manifests outside any git work
 * tree has no commit to record, and loaded simple-git (its package and its debug dependency) to
 * ask git for one, as apply did before it looked for a `.git` above the manifests
 * (apply-outside-git-loads.spec.ts). In a work tree it records the commit
 * (import-revision-cli.spec.ts). Measured by a loader hook that records every module loaded.
 */
const tempDir = useTempDirs();
const quiet = { ingestion: { onCreate: false } };

describe('state import outside a git repository does not load simple-git', () => {
  it('imports by id and by --discover, records no commit, and loads no simple-git', async () => {
    const root = await tempDir();
    await withEmulator(undefined, async (emulator) => {
      const manifests = path.join(root, 'm');
      await mkdir(manifests);
      for (const key of ['gold', 'silver'])
        await writeFile(path.join(manifests, `${key}.yaml`), manifestYaml(key, quiet));
      const state = path.join(root, 'state');
      await ensureDirStore(state);
      // Made outside audiencectl, as a colleague would in the UI.
      const made = (key: string) =>
        emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          audienceBody({ name: `Audience ${key}` }),
          'colleague@AdobeID',
        ).id;
      const gold = made('gold');
      made('silver');
      const log = path.join(root, 'loaded.txt');
      const env = () => ({ ...emulatorEnv(emulator), ...recordingLoads(root, log) });

      for (const args of [
        ['state', 'import', 'gold', manifests, '--audience-id', gold, '--state', state],
        ['state', 'import', '--discover', manifests, '--state', state],
      ]) {
        const run = await runCli(args, { cwd: root, env: env() });
        expect(run.code, run.stderr).toBe(0);
        const loaded = packagesLoaded(log);
        expect(loaded.has('simple-git'), args[2]).toBe(false);
        // The witness sees the bundle's packages (it would pass on an empty log otherwise).
        expect(loaded.has('commander')).toBe(true);
      }
      const { audiences } = await readState(state);
      expect(audiences.map((record) => [record.key, record.imported?.revision])).toEqual([
        ['gold', undefined],
        ['silver', undefined],
      ]);
    });
  });
});
