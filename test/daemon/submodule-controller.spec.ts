import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitIn, gitRepository } from '../helpers/work-tree.js';
import { withInProcessController } from './helpers/in-process.js';

const quiet = { ingestion: { onCreate: false } };

/**
 * The controller's git source checks a revision out with `read-tree` + `checkout-index` and
 * fetches with --no-recurse-submodules: a submodule is an empty folder in its checkout, which
 * has no `.git`. That folder was not read: the audiences its manifests define, applied from a
 * clone that checked it out, are held (a warning says why), never deleted.
 */
describe('a controller following a branch whose manifests include a git submodule', () => {
  it('holds the audiences the submodule defines, with the warning; a manifest removed beside it is deleted', async () => {
    await withInProcessController(
      { source: 'git', plan: { allowMassDelete: true } },
      async ({ git, reconciler, emulator, stateDir, status }) => {
        const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-submodule-controller-'));
        try {
          const shared = await gitRepository(tmp, { 'silver.yaml': manifestYaml('silver', quiet) }, 'shared');
          await git!.commit({
            'audiences/gold.yaml': manifestYaml('gold', quiet),
            'audiences/bronze.yaml': manifestYaml('bronze', quiet),
          });
          const clone = path.join(git!.root, 'clone');
          await gitIn(clone)(
            '-c',
            'protocol.file.allow=always',
            'submodule',
            'add',
            '--quiet',
            shared.repo,
            'audiences/shared',
          );
          await git!.commit({}, { message: 'audiences/shared: a submodule' });

          // Applied from a clone that checked the submodule out: silver's record names shared/silver.yaml.
          const full = path.join(tmp, 'full');
          await gitIn(tmp)(
            '-c',
            'protocol.file.allow=always',
            'clone',
            '--quiet',
            '--recurse-submodules',
            git!.bare,
            full,
          );
          // The story's set-up (the controller is its subject): the CLI's entry in this process.
          const init = await runCliInProcess(['init', '--state', stateDir], {
            env: emulatorEnv(emulator),
            cwd: tmp,
          });
          expect(init.code, init.stderr).toBe(0);
          const applied = await runCliInProcess(
            ['apply', path.join(full, 'audiences'), '--auto-approve', '--state', stateDir],
            { env: emulatorEnv(emulator), cwd: tmp },
          );
          expect(applied.code, applied.stdout + applied.stderr).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);

          await git!.commit({ 'audiences/bronze.yaml': null }, { message: 'bronze removed' });
          reconciler.trigger('webhook');
          await reconciler.settled();
          expect(audienceNames(emulator), 'the controller deleted what its checkout left empty').toEqual([
            'Audience gold',
            'Audience silver',
          ]);
          const { diagnostics } = await status();
          expect(diagnostics).toEqual([
            {
              file: 'shared',
              rule: 'source/submodule-not-checked-out',
              severity: 'warning',
              message:
                "a git submodule, which the controller's git source does not check out: its manifests are not read, and the audiences they defined are left as they are; keep the manifests in the repository itself, or remove the submodule (git rm) to delete them",
            },
          ]);
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
      },
    );
  });
});
