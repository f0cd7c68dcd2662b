import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, audienceNames, basePlanSteps } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest moved out of the directory given into a dot folder (or to a dotfile) at a renamed
 * name: `git mv audiences/gold.yaml .archive/gold.yaml.bak` (a backup suffix), `.archive/silver.json`
 * (converted to JSON), `.bronze.yaml~`. `.archive/gold.yaml` and `old/gold.yaml.bak` are held,
 * but these planned `- prod/gold delete: manifest removed` and apply deleted the audiences, their
 * whole manifests in the work tree (review scope-43, H-1): the git grep for moved manifests asked
 * git for `*.yaml.*` and `*.json` but kept only names the default selection would leave out as
 * renamed, and a dot folder's are not; the look at other names excluded them.
 */
const quiet = { ingestion: { onCreate: false } };
const keys = ['gold', 'silver', 'bronze', 'keep'];

describe('a manifest moved out of the directory into a dot folder at a renamed name', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          ...Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)])),
          'audiences/gone.yaml': manifestYaml('gone', quiet),
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, '.archive'));
        await git('mv', 'audiences/gold.yaml', '.archive/gold.yaml.bak');
        await git('mv', 'audiences/silver.yaml', '.archive/silver.json');
        await git('mv', 'audiences/bronze.yaml', '.bronze.yaml~');
        await git('rm', '--quiet', 'audiences/gone.yaml');
        await git('commit', '--quiet', '-m', 'archived');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        for (const [key, file] of [
          ['gold', '../.archive/gold.yaml.bak'],
          ['silver', '../.archive/silver.json'],
          ['bronze', '../.bronze.yaml~'],
        ])
          expect(planned.stdout).toContain(
            `prod/${key}: its manifest ${key}.yaml is now ${file}, which audiencectl does not read`,
          );

        const applied = await runCli(['apply', 'audiences', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(keys.map((key) => `Audience ${key}`).sort());
      }),
    );
  });

  it("a pull request's plan --base shows no delete", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = Object.fromEntries(
          ['gold', 'keep'].map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)]),
        );
        const { repo, git } = await appliedRepository(root, emulator, files);
        await git('checkout', '--quiet', '-b', 'archive');
        await mkdir(path.join(repo, '.archive'));
        await git('mv', 'audiences/gold.yaml', '.archive/gold.yaml.bak');
        await git('commit', '--quiet', '-m', 'archived');
        expect(await basePlanSteps(path.join(repo, 'audiences'))).toEqual([]);
      }),
    );
  });
});
