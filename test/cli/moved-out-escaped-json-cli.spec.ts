import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { appliedRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest moved out of the directory given to a `.json` file is held (moved-out-renamed-cli):
 * written with its slashes escaped (`"audiencectl\/v1"`, valid JSON, as PHP's json_encode writes
 * it by default), it is the same manifest once parsed, and must be held as well, never deleted.
 */
const quiet = { ingestion: { onCreate: false } };

describe('a manifest moved out to a .json file whose slashes are escaped', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          'audiences/gold.yaml': manifestYaml('gold', quiet),
          'audiences/keep.yaml': manifestYaml('keep', quiet),
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, 'old'));
        const escaped = JSON.stringify(manifestObject('gold', quiet)).replaceAll('/', '\\/');
        expect(JSON.parse(escaped)).toEqual(manifestObject('gold', quiet));
        await writeFile(path.join(repo, 'old', 'gold.json'), escaped);
        await git('rm', '--quiet', 'audiences/gold.yaml');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
        expect(planned.stdout).toContain('prod/gold: its manifest gold.yaml is now ../old/gold.json');
      }),
    );
  });
});
