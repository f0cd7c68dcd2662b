import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { reconcilePass, remoteAudiences, withInProcessController } from '../daemon/helpers/in-process.js';

/**
 * Review verify-43 H-1, of 7889f167 (review scope-43 H-4: a manifest moved, above the directory
 * given, to a name the default does not read). Records applied from `audiences`, a plan of
 * `audiences/emea`: a renamed dotfile in a dot folder (`audiences/.archive/.gold.yaml.bak`) and a
 * name without an extension (`audiences/tin`), beside `old/silver.json`. The review saw
 * `- prod/gold delete` and `- prod/tin delete` on a branch without 7889f167 (as 7889f167^ plans
 * them); since 7889f167 the look above reads every file there whose head claims to be a manifest
 * (readLeftOut), and these are held by plan, apply and the controller alike.
 */
const quiet = { ingestion: { onCreate: false } };
const keys = ['gold', 'silver', 'tin', 'keep'];

describe('a manifest moved above the directory given to other names', () => {
  it('is held, never deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const files = Object.fromEntries(
          keys.map((key) => [`audiences/emea/${key}.yaml`, manifestYaml(key, quiet)]),
        );
        const { repo, git, state, env } = await appliedRepository(root, emulator, files);
        await mkdir(path.join(repo, 'audiences/.archive'));
        await mkdir(path.join(repo, 'audiences/old'));
        await git('mv', 'audiences/emea/gold.yaml', 'audiences/.archive/.gold.yaml.bak');
        await git('mv', 'audiences/emea/silver.yaml', 'audiences/old/silver.json');
        await git('mv', 'audiences/emea/tin.yaml', 'audiences/tin');
        await git('commit', '--quiet', '-m', 'parked');
        const planned = await runCli(['plan', 'audiences/emea', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout.match(/^ +- prod\/\S+ delete/gm)).toBeNull();
        expect(planned.stdout).toContain(
          'prod/gold: its manifest emea/gold.yaml is now ../.archive/.gold.yaml.bak, which audiencectl does not read (it is in a dot folder, .archive, and its name begins with a dot,',
        );
        expect(planned.stdout).toContain(
          'prod/tin: its manifest emea/tin.yaml is now ../tin, which audiencectl does not read (it reads names ending in .yaml or .yml, not a name without one)',
        );

        const applied = await runCli(['apply', 'audiences/emea', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(keys.map((key) => `Audience ${key}`).sort());
      }),
    );
  });

  it('the controller (--path below the directory applied from) holds them too', async () => {
    await withInProcessController({ source: 'git', path: 'audiences/emea' }, async (controller) => {
      const repo = controller.git!;
      await repo.commit(
        Object.fromEntries(keys.map((key) => [`audiences/emea/${key}.yaml`, manifestYaml(key, quiet)])),
      );
      await mkdir(controller.stateDir, { recursive: true });
      const applied = await runCliInProcess(
        [
          'apply',
          path.join(repo.root, 'clone', 'audiences'),
          '--state',
          controller.stateDir,
          '--auto-approve',
        ],
        { env: emulatorEnv(controller.emulator) },
      );
      expect(applied.code).toBe(0);
      const before = remoteAudiences(controller, true);
      expect(before).toHaveLength(4);
      await repo.commit({
        'audiences/emea/gold.yaml': null,
        'audiences/.archive/.gold.yaml.bak': manifestYaml('gold', quiet),
        'audiences/emea/tin.yaml': null,
        'audiences/tin': manifestYaml('tin', quiet),
      });

      await reconcilePass(controller);
      expect(remoteAudiences(controller, true)).toEqual(before);
      expect((await controller.status()).plan?.summary).toMatchObject({ delete: 0, held: 2 });
    });
  });
});
