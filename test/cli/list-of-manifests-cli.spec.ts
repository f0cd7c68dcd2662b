import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/** `text` (one manifest) as an item of a YAML list: `- apiVersion: …`, the rest indented. */
const asListItem = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line, index) => (index === 0 ? `- ${line}` : `  ${line}`))
    .join('\n');

/**
 * Review 32, H-2. Two manifests consolidated into one file written as a YAML list (`- apiVersion:
 * audiencectl/v1 …`, as kubectl and Ansible users write several objects), the old files removed:
 * the new file is "not an audiencectl manifest (a YAML list, not a manifest); skipped", a note,
 * validate exits 0, and apply deletes both audiences. The same list written over a recorded
 * manifest's own file holds its audience ("no longer read as an audiencectl manifest"): only the
 * path differs. A file whose items claim to be ours (apiVersion audiencectl/…, kind
 * ExternalAudience) is ours, as a document that claims to be ours is checked in full.
 * The built CLI, real git, the emulator over HTTP.
 */
describe('manifests written as a YAML list in a new file, their old files removed', () => {
  it('are an error, and their audiences are not deleted', async () => {
    await cliBench(async (b) => {
      const { emulator, cli } = b;
      const { repo, git } = await appliedRepository(
        b,
        {
          'aud/gold.yaml': manifestYaml('gold'),
          'aud/silver.yaml': manifestYaml('silver'),
          'aud/bronze.yaml': manifestYaml('bronze'),
        },
        ['aud'],
      );
      await writeFile(
        path.join(repo, 'aud/loyalty.yaml'),
        `${asListItem(manifestYaml('gold'))}\n${asListItem(manifestYaml('silver'))}\n`,
      );
      await git('rm', '--quiet', 'aud/gold.yaml', 'aud/silver.yaml');
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'consolidate the loyalty audiences');

      const applied = await cli('apply', path.join(repo, 'aud'), '--auto-approve');
      expect(applied.stdout).not.toContain('prod/gold delete');
      expect(applied.stdout).not.toContain('prod/silver delete');
      expect(audienceNames(emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
      expect(applied.code).toBe(1);

      const validated = await runCli(['validate', path.join(repo, 'aud')]);
      expect(validated.stdout).not.toContain('0 error(s)');
      expect(validated.code).toBe(1);
    });
  });
});
