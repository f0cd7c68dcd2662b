import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController, reconcilePass, remoteAudiences } from './helpers/in-process.js';

/**
 * Review 29, item 5 (M-3): the controller's checkout has no `.git`, so since 6fbd15e a record applied
 * from a directory beside its --path whose file a commit of the repository it follows removes
 * is held (`unplaced`) on every pass, where it used to be deleted. README says the controller
 * holds these; the held reason it publishes must say why in its terms, not claim the history
 * lacks the file (the controller itself synced the commit that removed it).
 */
const quiet = (name: string) => manifestYaml(name, { ingestion: { onCreate: false } });

describe('the controller and a record beside its --path whose file a commit removes', () => {
  it('holds it with a reason true of the controller, not "another repository\'s; a shallow clone\'s"', async () => {
    await withInProcessController({ source: 'git', path: 'audiences/web' }, async (controller) => {
      const repo = controller.git!;
      await repo.commit({
        'audiences/web/w.yaml': quiet('w'),
        'audiences/mkt/a.yaml': quiet('a'),
        'audiences/mkt/b.yaml': quiet('b'),
      });
      // audiences/mkt applied by a person from a clone of the repository the controller follows.
      await mkdir(controller.stateDir, { recursive: true });
      const applied = await runCliInProcess(
        [
          'apply',
          path.join(repo.root, 'clone', 'audiences/mkt'),
          '--state',
          controller.stateDir,
          '--auto-approve',
        ],
        { env: emulatorEnv(controller.emulator) },
      );
      expect(applied.code).toBe(0);
      await reconcilePass(controller);
      expect(remoteAudiences(controller)).toEqual(['Audience a', 'Audience b', 'Audience w']);

      // The repository the controller follows removes a: the controller syncs that very commit.
      await repo.commit({ 'audiences/mkt/a.yaml': null });
      await reconcilePass(controller);
      await reconcilePass(controller);
      expect(remoteAudiences(controller)).toEqual(['Audience a', 'Audience b', 'Audience w']);
      const markdown = controller.reconciler.planMarkdown() ?? '';
      expect(markdown).toContain('prod/a');
      expect(markdown).toContain(
        "this checkout has no git history to tell its removal from another repository's file",
      );
      // Not true here: the controller's own repository removed the file in a commit it synced.
      expect(markdown).not.toContain(
        "another repository's, sharing the store; a file never committed; a shallow clone's",
      );
    });
  });
});
