import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review scope-42, H-1. H-2 of review scope-41 holds a manifest renamed to `gold.yaml.bak`,
 * `gold.yaml~`, `gold.yaml.orig` or `gold.json`, but only those exact shapes: a typo in the new
 * extension (`gold.ymal`), a second suffix (`gold.yaml.1.bak`, a dated backup), a dash
 * (`gold.yaml-old`), a suffix in place of the extension (`gold.bak`), or a backup parked in a
 * dot folder (`.archive/gold.yaml.bak`) plans `- prod/gold delete: manifest removed`, and apply
 * deletes the audience, the whole manifest (`apiVersion: audiencectl/v1`, its metadata.name) on
 * disk beside the others. Only a removed manifest deletes: each is held, naming the file. And a
 * manifest removed still deletes, though a README beside it shows it as an example.
 */
const quiet = { ingestion: { onCreate: false } };
const renames: Record<string, string> = {
  ymal: 'ymal.ymal',
  multi: 'multi.yaml.1.bak',
  dash: 'dash.yaml-old',
  bak: 'bak.bak',
  archived: '.archive/archived.yaml.bak',
};

describe('a manifest renamed to any name audiencectl does not read', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const keys = [...Object.keys(renames), 'keep'];
        const files = {
          ...Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)])),
          'audiences/gone.yaml': manifestYaml('gone', quiet),
          // A README whose example is gone's manifest, in a fenced block: no manifest renamed,
          // the removal of gone.yaml still deletes.
          'audiences/README.md': `# Audiences\n\nOne file per audience:\n\n\`\`\`yaml\n${manifestYaml('gone', quiet)}\`\`\`\n`,
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        for (const [key, to] of Object.entries(renames)) {
          await mkdir(path.dirname(path.join(repo, 'audiences', to)), { recursive: true });
          await rename(path.join(repo, 'audiences', `${key}.yaml`), path.join(repo, 'audiences', to));
        }
        await git('rm', '--quiet', 'audiences/gone.yaml');
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'renamed');

        const planned = await runCli(['plan', 'audiences', '--state', state, '--max-deletes', '10'], {
          cwd: repo,
          env,
        });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        for (const to of Object.values(renames))
          expect(planned.stdout).toContain(`is now ${to}, which audiencectl does not read`);

        const applied = await runCli(
          ['apply', 'audiences', '--state', state, '--auto-approve', '--max-deletes', '10'],
          {
            cwd: repo,
            env,
          },
        );
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(keys.map((key) => `Audience ${key}`).sort());
      }),
    );
  });
});
