import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest parked in a dot folder of the directory given under a renamed name (`git mv
 * audiences/gold.yaml audiences/.archive/gold.yaml.bak`) is held, but its hint said only "rename
 * .archive/gold.yaml.bak back to end in .yaml or .yml to keep it": renamed back, .archive/gold.yaml
 * is still not read (a dot folder), and the next plan holds it again with another hint. The hint
 * names both what leaves it unread (the dot folder and the name) and both ways out: move it out
 * of that folder and rename it to keep it, or remove it to delete the audience (review scope-43,
 * L-3).
 */
const quiet = { ingestion: { onCreate: false } };

describe('a manifest renamed into a dot folder of the directory given', () => {
  it('is held with a hint that names the dot folder and both ways out', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          'audiences/gold.yaml': manifestYaml('gold', quiet),
          'audiences/keep.yaml': manifestYaml('keep', quiet),
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, 'audiences/.archive'));
        await git('mv', 'audiences/gold.yaml', 'audiences/.archive/gold.yaml.bak');
        await git('commit', '--quiet', '-m', 'archived');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/gold\s+delete/);
        expect(planned.stdout).toContain(
          'prod/gold: its manifest gold.yaml is now .archive/gold.yaml.bak, which audiencectl does not read (it is in a dot folder, .archive, which only an --include naming it reads, and its name ends in ".yaml.bak", not .yaml or .yml); the audience is left as it is: move it out of that folder and rename it to end in .yaml or .yml to keep it, or remove .archive/gold.yaml.bak to delete the audience',
        );
      }),
    );
  });
});
