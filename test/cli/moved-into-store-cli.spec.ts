import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A directory store inside the work tree (`--state state` beside `audiences/`, untracked, as the
 * bench has it): its records are `*.json` files naming every key and audience name, which the
 * search for a removed manifest elsewhere asks git for only when they claim to be a manifest
 * (read-moved.ts CLAIMED). A manifest moved into the store's folder is found there all the same,
 * under a manifest's name, in its records' folder, or renamed `.json`; a removal whose
 * only other mention is its own record (and the records of audiences named alike) deletes.
 */
const quiet = { ingestion: { onCreate: false } };
const keys = ['gold', 'silver', 'tin', 'keep'];

describe('a directory store inside the work tree', () => {
  it('holds a manifest moved into its folder, and deletes a removal its records alone name', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          ...Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)])),
          'audiences/gone.yaml': manifestYaml('gone', quiet),
        };
        const { repo, git } = await gitRepository(root, files);
        const env = emulatorEnv(emulator);
        const state = path.join(repo, 'state');
        expect((await apply(path.join(repo, 'audiences'), state, env)).code).toBe(0);

        await git('rm', '--quiet', 'audiences/gold.yaml', 'audiences/silver.yaml', 'audiences/tin.yaml');
        await git('rm', '--quiet', 'audiences/gone.yaml');
        await mkdir(path.join(state, 'old'));
        await writeFile(path.join(state, 'gold.yaml'), manifestYaml('gold', quiet));
        await writeFile(path.join(state, 'audiences', 'prod', 'silver.yaml'), manifestYaml('silver', quiet));
        await writeFile(path.join(state, 'old', 'tin.json'), manifestYaml('tin', quiet));

        const planned = await runCli(['plan', 'audiences', '--state', 'state'], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        expect(planned.stdout).toContain(
          'prod/gold: its manifest is now ../state/gold.yaml, moved out of the directory given',
        );
        expect(planned.stdout).toContain(
          'prod/silver: its manifest is now ../state/audiences/prod/silver.yaml, moved out',
        );
        expect(planned.stdout).toContain('prod/tin: its manifest tin.yaml is now ../state/old/tin.json');

        const applied = await runCli(['apply', 'audiences', '--state', 'state', '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(
          ['gold', 'keep', 'silver', 'tin'].map((k) => `Audience ${k}`),
        );
      }),
    );
  });
});
