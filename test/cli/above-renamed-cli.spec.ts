import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Records applied from `audiences`, a plan of its subdirectory `audiences/emea` (README: a
 * manifest above the directory given holds its audience), after manifests of emea moved within
 * `audiences` to names the default selection does not read: `.archive/gold.yaml.bak` (a backup in
 * a dot folder) and `old/silver.bak` (a suffix in place of the extension). `old/tin.yaml.bak` was
 * held, but these planned `- prod/gold delete: manifest removed` and apply deleted the audiences,
 * their whole manifests under the directory they were applied from: the look above read only
 * files named like a manifest, not those of any other name whose head claims to be one, as the
 * look beyond the directory does (review scope-42, H-1; review scope-43, H-4).
 */
const quiet = { ingestion: { onCreate: false } };
const keys = ['gold', 'silver', 'tin', 'keep'];

describe('a manifest moved, above the directory given, to a name audiencectl does not read', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          ...Object.fromEntries(keys.map((key) => [`audiences/emea/${key}.yaml`, manifestYaml(key, quiet)])),
          'audiences/emea/gone.yaml': manifestYaml('gone', quiet),
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, 'audiences/.archive'));
        await mkdir(path.join(repo, 'audiences/old'));
        await git('mv', 'audiences/emea/gold.yaml', 'audiences/.archive/gold.yaml.bak');
        await git('mv', 'audiences/emea/silver.yaml', 'audiences/old/silver.bak');
        await git('mv', 'audiences/emea/tin.yaml', 'audiences/old/tin.yaml.bak');
        await git('rm', '--quiet', 'audiences/emea/gone.yaml');
        await git('commit', '--quiet', '-m', 'parked');

        const planned = await runCli(['plan', 'audiences/emea', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        expect(planned.stdout).toContain(
          'prod/gold: its manifest emea/gold.yaml is now ../.archive/gold.yaml.bak, which audiencectl does not read (it is in a dot folder, .archive,',
        );
        expect(planned.stdout).toContain(
          'prod/silver: its manifest emea/silver.yaml is now ../old/silver.bak, which audiencectl does not read',
        );

        const applied = await runCli(['apply', 'audiences/emea', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(keys.map((key) => `Audience ${key}`).sort());
      }),
    );
  });
});
