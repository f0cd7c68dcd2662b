import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

  it('holds a removal a record file names as a manifest would: its records are searched too, not left out by path', async () => {
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

        await git('rm', '--quiet', 'audiences/gold.yaml', 'audiences/gone.yaml');
        // Keys a record does not know are dropped as the store reads it (a newer release's):
        // keep's record is valid, and read as a manifest it names gold (failing, its record's
        // keys unknown to a manifest), which holds gold's removal.
        const edit = async (key: string, added: Record<string, unknown>) => {
          const file = path.join(state, 'audiences', 'prod', `${key}.json`);
          const recorded = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
          await writeFile(file, JSON.stringify({ ...added, ...recorded }, null, 2));
        };
        await edit('keep', {
          apiVersion: 'audiencectl/v1',
          kind: 'ExternalAudience',
          metadata: { name: 'gold' },
        });
        // One that claims in a note, and names gone: read, and no manifest.
        await edit('silver', { note: 'apiVersion: audiencectl/v1, for gone' });

        const planned = await runCli(['plan', 'audiences', '--state', 'state'], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        expect(planned.stdout).toContain(
          'prod/gold: its manifest gold.yaml is now ../state/audiences/prod/keep.json',
        );
      }),
    );
  });
});
