import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review verify-43 L-1 (b), of 8112709a (the hint of a manifest renamed into a dot folder). Its
 * way out must lead to a file that is read: followed, the next plan must not hold it again with
 * another hint. A directory given that is itself in a dot folder (`.platform/audiences`): a
 * manifest moved to `.platform/old/silver.yaml.bak` was said to be unread for the dot folder
 * `.platform`, the one every manifest read is in, and told to move it out of it. (The other
 * variant, a dotfile in a dot folder: test/cli/dot-folder-dotfile-hint-cli.spec.ts.)
 */
const quiet = { ingestion: { onCreate: false } };

const heldLine = (stdout: string, key: string) =>
  stdout.split('\n').find((line) => line.trim().startsWith(`prod/${key}:`)) ?? '';

describe('the hint of a renamed manifest in a dot folder', () => {
  it('of a directory given in a dot folder does not blame that folder', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const keys = ['silver', 'keep'];
        const files = Object.fromEntries(
          keys.map((key) => [`.platform/audiences/${key}.yaml`, manifestYaml(key, quiet)]),
        );
        const { repo, git } = await gitRepository(root, files);
        const env = emulatorEnv(emulator);
        const state = path.join(root, 'state');
        expect((await apply(path.join(repo, '.platform/audiences'), state, env)).code).toBe(0);
        await mkdir(path.join(repo, '.platform/old'));
        await git('mv', '.platform/audiences/silver.yaml', '.platform/old/silver.yaml.bak');
        await git('commit', '--quiet', '-m', 'archived');
        const planned = await runCli(['plan', '.platform/audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        const line = heldLine(planned.stdout, 'silver');
        expect(line).toContain('is now ../old/silver.yaml.bak, which audiencectl does not read');
        expect(line).not.toContain('dot folder, .platform');
        expect(line).toContain('rename ../old/silver.yaml.bak back to end in .yaml or .yml to keep it');
        // Followed, the hint leads to a manifest a plan of .platform reads: held as moved out, not unread.
        await git('mv', '.platform/old/silver.yaml.bak', '.platform/old/silver.yaml');
        await git('commit', '--quiet', '-m', 'renamed back');
        const again = await runCli(['plan', '.platform/audiences', '--state', state], { cwd: repo, env });
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout.match(/^ +- prod\/\S+ delete/gm)).toBeNull();
        expect(heldLine(again.stdout, 'silver')).not.toContain('does not read');
      }),
    );
  });
});
