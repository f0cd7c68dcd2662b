import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/**
 * A sparse checkout that leaves out a folder under the directory given (`git sparse-checkout
 * set aud/loyalty`, then `apply aud`): the files of aud/partners are in HEAD, not removed, and
 * their audiences are held as those of a directory beside it are. Before, they were deleted
 * (review 31, H-4). Real git, the built CLI, the emulator over HTTP.
 */
const quiet = { ingestion: { onCreate: false } };

describe('a sparse checkout inside the directory given', () => {
  it('holds the audience whose file it leaves out; the folder checked out again and the file removed, it is deleted', async () => {
    await cliBench(async (b) => {
      const { emulator, cli } = b;
      const { repo, git } = await appliedRepository(
        b,
        {
          'aud/a.yaml': manifestYaml('a', quiet),
          'aud/loyalty/l.yaml': manifestYaml('l', quiet),
          'aud/partners/p.yaml': manifestYaml('p', quiet),
        },
        ['aud'],
      );
      await git('sparse-checkout', 'set', 'aud/loyalty');
      const applied = await cli('apply', path.join(repo, 'aud'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).not.toContain('- prod/p delete');
      expect(applied.stdout).toContain(
        '  prod/p: its manifest aud/partners/p.yaml is in this repository but not checked out here (a sparse checkout leaves aud/partners out); the audience is left as it is: apply aud from a checkout that has it, where removing the file deletes the audience\n',
      );
      expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience l', 'Audience p']);

      await git('sparse-checkout', 'disable');
      await git('rm', '--quiet', 'aud/partners/p.yaml');
      await git('commit', '--quiet', '-m', 'p removed');
      const removed = await cli('apply', path.join(repo, 'aud'), '--auto-approve');
      expect(removed.stdout).toContain('- prod/p delete: manifest removed');
      expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience l']);
    });
  });
});
