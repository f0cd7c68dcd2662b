import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/**
 * A manifest whose value carries a YAML tag audiencectl does not read (`!Sub`, as templated
 * YAML writes it): the reader dropped the tag and the plan took the text itself, so a team's
 * `name: !Sub "${Team} Gold"` renamed, or with --allow-replace deleted and re-created, the
 * audience. Now the file is refused at the tag and the audience held. Real git, the built
 * CLI, the emulator over HTTP.
 */
describe('a manifest with a YAML tag outside the core schema', () => {
  it('is refused at the tag; its audience is neither renamed, replaced nor deleted', async () => {
    await cliBench(async (b) => {
      const { emulator, cli } = b;
      const { repo } = await appliedRepository(
        b,
        { 'aud/gold.yaml': manifestYaml('gold'), 'aud/silver.yaml': manifestYaml('silver') },
        ['aud'],
      );
      const tagged = manifestYaml('gold').replace('  name: Audience gold', '  name: !Sub "${Team} Gold"');
      expect(tagged).toContain('!Sub');
      await writeFile(path.join(repo, 'aud/gold.yaml'), tagged);

      const applied = await cli('apply', path.join(repo, 'aud'), '--auto-approve', '--allow-replace');
      expect(applied.code).toBe(1);
      expect(applied.stdout).toContain(
        "  gold.yaml:6:9: error: spec.name: the YAML tag !Sub is not read by audiencectl (manifests are plain YAML: only the core schema's tags, such as !!str); remove it, and write the value itself [yaml/tag]",
      );
      expect(applied.stdout).toContain(
        // Its own file, as the diagnostic above names it (review controller-48).
        '  prod/gold: gold.yaml has errors; the audience is left as it is\n',
      );
      expect(applied.stdout).not.toContain('prod/gold replace');
      expect(applied.stdout).not.toContain('prod/gold delete');
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });
});
