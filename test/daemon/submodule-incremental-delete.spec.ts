import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { audienceNames, gitIn, gitRepository } from '../helpers/work-tree.js';
import { reconcilePass, withInProcessController } from './helpers/in-process.js';

/**
 * Review 34c, H-1. docs/controller.md: an incremental read gives "exactly what reading every
 * file gives ... the same held audiences"; a folder that is a git submodule is not read, and
 * the audiences recorded from it are held, never deleted (submodule-controller.spec.ts). A push
 * that turns a folder of manifests into a submodule holding the same manifests is read
 * incrementally: the diff says `D audiences/shared/silver.yaml`, and silver is deleted. A full
 * read of the very same commit (a resync) holds it with source/submodule-not-checked-out.
 */
describe('a folder of manifests replaced by a git submodule, read incrementally', () => {
  it('holds the audience its manifest defined, as a full read of the same commit does', async () => {
    await withInProcessController({ source: 'git' }, async ({ git, reconciler, emulator, status }) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-review-34c-sub-'));
      try {
        const shared = await gitRepository(tmp, { 'silver.yaml': quiet('silver') }, 'shared');
        await git!.commit({
          'audiences/gold.yaml': quiet('gold'),
          'audiences/shared/silver.yaml': quiet('silver'),
        });
        reconciler.trigger('startup');
        await reconciler.settled();
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);

        // The team moves audiences/shared into a repository of its own, kept as a submodule.
        const clone = gitIn(path.join(git!.root, 'clone'));
        await clone('rm', '-r', '--quiet', 'audiences/shared');
        await clone('commit', '--quiet', '-m', 'audiences/shared: moved to its own repository');
        await clone(
          '-c',
          'protocol.file.allow=always',
          'submodule',
          'add',
          '--quiet',
          shared.repo,
          'audiences/shared',
        );
        await git!.commit({}, { message: 'audiences/shared: a submodule' });
        reconciler.trigger('webhook');
        await reconciler.settled();

        expect(audienceNames(emulator), 'the incremental pass deleted what a full read holds').toEqual([
          'Audience gold',
          'Audience silver',
        ]);
        const { diagnostics } = await status();
        expect(diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual([
          'shared source/submodule-not-checked-out',
        ]);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
  it('--dir: a git pull (no --recurse-submodules) that empties the folder holds the audience, as a full read does', async () => {
    await withInProcessController({ source: 'dir' }, async (c) => {
      const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-review-34c-dirsub-'));
      try {
        const shared = await gitRepository(tmp, { 'silver.yaml': quiet('silver') }, 'shared');
        const upstream = await gitRepository(
          tmp,
          { 'gold.yaml': quiet('gold'), 'shared/silver.yaml': quiet('silver') },
          'upstream',
        );
        // The watched directory is a clone of the team's repository.
        await rm(c.dir, { recursive: true });
        await gitIn(tmp)('clone', '--quiet', upstream.repo, c.dir);
        c.reconciler.trigger('startup');
        await c.reconciler.settled();
        expect(audienceNames(c.emulator)).toEqual(['Audience gold', 'Audience silver']);

        await upstream.git('rm', '-r', '--quiet', 'shared');
        await upstream.git(
          '-c',
          'protocol.file.allow=always',
          'submodule',
          'add',
          '--quiet',
          shared.repo,
          'shared',
        );
        await upstream.git('commit', '--quiet', '-m', 'shared: a submodule');
        await gitIn(c.dir)('pull', '--quiet', '--no-rebase');
        expect(await readdir(path.join(c.dir, 'shared')), 'the submodule is not checked out').toEqual([]);
        await reconcilePass(c);

        expect(audienceNames(c.emulator), 'the incremental pass deleted what a full read holds').toEqual([
          'Audience gold',
          'Audience silver',
        ]);
        expect((await c.status()).diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual([
          'shared source/submodule-not-checked-out',
        ]);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  });
});
