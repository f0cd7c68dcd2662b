import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A renamed dotfile in a dot folder (`git mv audiences/bronze.yaml audiences/.archive/.bronze.yaml.bak`)
 * is held, but its hint said only "move it out of that folder and rename it to end in .yaml or
 * .yml": followed, `.bronze.yaml` is still a dotfile, not read, and the next plan holds it again
 * with another hint. The hint names the leading dot too, and to drop it (review verify-43, L-1, of
 * 8112709a).
 */
const quiet = { ingestion: { onCreate: false } };

const heldLine = (stdout: string, key: string) =>
  stdout.split('\n').find((line) => line.trim().startsWith(`prod/${key}:`)) ?? '';

describe('the hint of a renamed dotfile in a dot folder', () => {
  it('says to drop the leading dot too', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          'audiences/bronze.yaml': manifestYaml('bronze', quiet),
          'audiences/keep.yaml': manifestYaml('keep', quiet),
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, 'audiences/.archive'));
        await git('mv', 'audiences/bronze.yaml', 'audiences/.archive/.bronze.yaml.bak');
        await git('commit', '--quiet', '-m', 'archived');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/bronze\s+delete/);
        const line = heldLine(planned.stdout, 'bronze');
        expect(line).toContain('is now .archive/.bronze.yaml.bak, which audiencectl does not read');
        expect(line).toMatch(/its name begins with a dot/);
        expect(line).toMatch(/without the leading dot/);
      }),
    );
  });
});
