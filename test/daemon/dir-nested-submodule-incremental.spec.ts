import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { audienceNames, gitIn, gitRepository } from '../helpers/work-tree.js';
import { reconcilePass, withInProcessController } from './helpers/in-process.js';

/**
 * Review 41 (controller-41), F-1. A `--dir` whose subfolder `team/` is a git clone
 * holding a submodule `shared/`: a full read that finds the submodule's folder empty holds its
 * audiences (source/submodule-not-checked-out). The per-pass look for submodules
 * (desired-cache.ts #submoduleReason) asks only the `.gitmodules` of the work tree above `--dir`,
 * never one inside it: `git submodule deinit` in `team/` empties the folder, the next pass reads
 * incrementally, sees the manifest removed, and deletes the audience a full read holds.
 */
describe('--dir: a submodule of a clone inside the directory, emptied', () => {
  it('holds the audience its manifest defined, as a full read of the same tree does', async () => {
    await withInProcessController({ source: 'dir' }, async (c) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-review-41-nested-'));
      try {
        const shared = await gitRepository(tmp, { 'silver.yaml': quiet('silver') }, 'shared');
        const team = await gitRepository(tmp, { 'bronze.yaml': quiet('bronze') }, 'team');
        await team.git(
          '-c',
          'protocol.file.allow=always',
          'submodule',
          'add',
          '--quiet',
          shared.repo,
          'shared',
        );
        await team.git('commit', '--quiet', '-m', 'shared: a submodule');
        await writeFile(path.join(c.dir, 'gold.yaml'), quiet('gold'));
        await gitIn(c.dir)(
          '-c',
          'protocol.file.allow=always',
          'clone',
          '--quiet',
          '--recurse-submodules',
          team.repo,
          'team',
        );
        c.reconciler.trigger('startup');
        await c.reconciler.settled();
        expect(audienceNames(c.emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);

        await gitIn(path.join(c.dir, 'team'))('submodule', 'deinit', '--quiet', '--force', 'shared');
        expect(await readdir(path.join(c.dir, 'team', 'shared')), 'the submodule is not checked out').toEqual(
          [],
        );
        await reconcilePass(c);

        expect(audienceNames(c.emulator), 'the incremental pass deleted what a full read holds').toEqual([
          'Audience bronze',
          'Audience gold',
          'Audience silver',
        ]);
        expect((await c.status()).diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual([
          'team/shared source/submodule-not-checked-out',
        ]);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
});
