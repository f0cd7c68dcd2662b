import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest moved out of the directory given to a name audiencectl does not read: `git mv
 * audiences/gold.yaml old/gold.yaml.bak` and `old/gold.yaml` were held (README: a file moved out,
 * `../web/b.YAML`), but `old/gold.ymal` (a typo) or `old/gold.bak` planned `- prod/gold delete:
 * manifest removed`, and apply deleted the audience, its whole manifest in the work tree. Held as
 * the others (review scope-42, H-1). A README at the top showing a removed manifest as an
 * example holds nothing: that removal deletes.
 */
const quiet = { ingestion: { onCreate: false } };
const keys = ['typo', 'bak', 'keep'];

describe('a manifest moved out of the directory to a name audiencectl does not read', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          ...Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)])),
          'audiences/gone.yaml': manifestYaml('gone', quiet),
          'README.md': `# Audiences\n\nFor example:\n\n\`\`\`yaml\n${manifestYaml('gone', quiet)}\`\`\`\n`,
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, 'old'));
        await git('mv', 'audiences/typo.yaml', 'old/typo.ymal');
        await git('mv', 'audiences/bak.yaml', 'old/bak.bak');
        await git('rm', '--quiet', 'audiences/gone.yaml');
        await git('commit', '--quiet', '-m', 'moved');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        expect(planned.stdout).toContain(
          'prod/typo: its manifest typo.yaml is now ../old/typo.ymal, which audiencectl does not read (it reads names ending in .yaml or .yml, not ".ymal"); the audience is left as it is: rename ../old/typo.ymal back to end in .yaml or .yml to keep it, or remove ../old/typo.ymal to delete the audience',
        );
        expect(planned.stdout).toContain(
          'prod/bak: its manifest bak.yaml is now ../old/bak.bak, which audiencectl does not read',
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
});
