import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest renamed (git mv, committed) to a name the default selection does
 * not read but that still holds the whole manifest: parked with a backup suffix
 * (`gold.yaml.bak`, an editor's `gold.yaml~`, `gold.yaml.orig` of a merge tool) or converted to
 * JSON (`gold.json`, which YAML reads and kubectl accepts). `git mv b.yaml b.YAML` is held
 * (README: "its manifest is now b.YAML, which audiencectl does not read"), but these plan
 * `- delete: manifest removed`, and apply deleted the audiences. Their manifest was renamed,
 * not removed: the removal is held, naming the file, as for `.YAML` (review scope-41, H-2).
 * Another tool's JSON beside them that holds a key as a word (`notes.json`) holds nothing.
 */
const quiet = { ingestion: { onCreate: false } };
// `keep` stays, so the source is not empty (that guard would block the deletes of a source of none).
const keys = ['bak', 'tilde', 'orig', 'json', 'keep'];

describe('a manifest renamed to a name audiencectl does not read', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = {
          ...Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)])),
          'audiences/gone.yaml': manifestYaml('gone', quiet),
          'audiences/notes.json': '{ "retired": ["gone"] }\n',
        };
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await git('mv', 'audiences/bak.yaml', 'audiences/bak.yaml.bak');
        await git('mv', 'audiences/tilde.yaml', 'audiences/tilde.yaml~');
        await git('mv', 'audiences/orig.yaml', 'audiences/orig.yaml.orig');
        await git('mv', 'audiences/json.yaml', 'audiences/json.json');
        await git('rm', '--quiet', 'audiences/gone.yaml');
        await git('commit', '--quiet', '-m', 'renamed');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toEqual(['  - prod/gone delete']);
        for (const file of ['bak.yaml.bak', 'tilde.yaml~', 'orig.yaml.orig', 'json.json'])
          expect(planned.stdout).toContain(`is now ${file}, which audiencectl does not read`);

        await runCli(['apply', 'audiences', '--state', state, '--auto-approve'], { cwd: repo, env });
        expect(audienceNames(emulator)).toEqual(keys.map((key) => `Audience ${key}`).sort());
        expect(planned.stdout).toContain(
          'prod/bak: its manifest bak.yaml is now bak.yaml.bak, which audiencectl does not read (it reads names ending in .yaml or .yml, not ".yaml.bak"); the audience is left as it is: rename bak.yaml.bak back to end in .yaml or .yml to keep it, or remove bak.yaml.bak to delete the audience',
        );
      }),
    );
  });
});
