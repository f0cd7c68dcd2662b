import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController, type InProcessController } from './helpers/in-process.js';

/**
 * The controller's git source checks revisions out with core.symlinks=false: a link is a
 * plain file holding its target's path. Review 32, L-1: `g1.yaml -> .shared/g1.yaml` was read
 * as "a YAML scalar, not a manifest", g1 held for ever with no diagnostic on /status, where
 * `audiencectl plan` in a clone of the same commit follows the link and plans its update.
 * The controller now reads a link as the CLI's directory reader does: one to a file inside
 * the manifests directory as that file, one leaving it, or to nothing, with the CLI's
 * diagnostic on /status and its audience held. A real repository, the emulator over HTTP; the
 * CLI's plan in a clone, what the controller is compared with, runs the CLI's entry in this process.
 */
const quiet = (name: string, description: string) =>
  manifestYaml(name, { ingestion: { onCreate: false }, spec: { description } });

function descriptions(controller: InProcessController): Record<string, string | undefined> {
  const found: Record<string, string | undefined> = {};
  for (const audience of controller.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod'))
    found[audience.audienceName] = audience.description;
  return found;
}

async function pass(controller: InProcessController, reason: 'webhook' | 'resync'): Promise<void> {
  controller.reconciler.trigger(reason);
  await controller.reconciler.settled();
}

/** Replaces `audiences/<name>` in the fixture's clone by a link to `target`; commit to push it. */
async function link(controller: InProcessController, name: string, target: string): Promise<string> {
  const clone = path.join(controller.git!.root, 'clone');
  const at = path.join(clone, 'audiences', name);
  await rm(at, { force: true });
  await symlink(target, at);
  return clone;
}

function lastRead(controller: InProcessController): unknown {
  return controller.logs.findLast((line) => line.msg === 'manifests read')?.['mode'];
}

describe('the controller and a symbolic link in the repository', () => {
  it('reads a link to a file inside the directory as that file, as plan in a clone does, and an edit of the target alone', async () => {
    await withInProcessController({ source: 'git' }, async (controller) => {
      await controller.git!.commit({
        'audiences/g1.yaml': quiet('g1', 'First words'),
        'audiences/g2.yaml': quiet('g2', 'Beside it'),
      });
      await pass(controller, 'webhook');
      expect(descriptions(controller)).toEqual({ 'Audience g1': 'First words', 'Audience g2': 'Beside it' });

      // The review's commit: g1.yaml moved to .shared/ and a link left in its place, the description edited.
      const clone = await link(controller, 'g1.yaml', '.shared/g1.yaml');
      await controller.git!.commit({ 'audiences/.shared/g1.yaml': quiet('g1', 'Behind a link') });
      const cli = await runCliInProcess(
        ['plan', path.join(clone, 'audiences'), '--state', controller.stateDir],
        {
          env: emulatorEnv(controller.emulator),
          cwd: clone,
        },
      );
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toContain('~ prod/g1 update: description changed');

      controller.emulator.control.resetCounters();
      await pass(controller, 'webhook');
      const status = await controller.status();
      expect(status.diagnostics).toEqual([]);
      expect(descriptions(controller)).toEqual({
        'Audience g1': 'Behind a link',
        'Audience g2': 'Beside it',
      });
      expect(controller.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(1);
      expect(controller.emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);

      // Only the target edited: the diff names .shared/g1.yaml, the link's own path is read again.
      await controller.git!.commit({ 'audiences/.shared/g1.yaml': quiet('g1', 'Edited at the target') });
      await pass(controller, 'webhook');
      expect(lastRead(controller)).toBe('incremental');
      expect(descriptions(controller)).toEqual({
        'Audience g1': 'Edited at the target',
        'Audience g2': 'Beside it',
      });
      expect(controller.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(2);

      // A full read (the resync) reads the same: nothing to do.
      await pass(controller, 'resync');
      expect(lastRead(controller)).toBe('full');
      expect((await controller.status()).plan?.summary).toMatchObject({ update: 0, delete: 0, held: 0 });
      expect(controller.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(2);
      expect(controller.emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
    });
  });

  it('holds the audience of a link leaving the directory, or to nothing, with the diagnostics on /status; deletes nothing', async () => {
    await withInProcessController({ source: 'git' }, async (controller) => {
      await controller.git!.commit({
        'audiences/g1.yaml': quiet('g1', 'First words'),
        'audiences/g2.yaml': quiet('g2', 'Second words'),
        'audiences/g3.yaml': quiet('g3', 'Third words'),
      });
      await pass(controller, 'webhook');
      expect(Object.keys(descriptions(controller)).sort()).toEqual([
        'Audience g1',
        'Audience g2',
        'Audience g3',
      ]);

      // g1: to a file of the repository outside the directory; g2: to a file that is not there;
      // g3: out of the repository, to a file of the controller's machine.
      await link(controller, 'g1.yaml', '../elsewhere/g1.yaml');
      await link(controller, 'g2.yaml', 'gone.yaml');
      const clone = await link(controller, 'g3.yaml', '/etc/hostname');
      await controller.git!.commit({ 'elsewhere/g1.yaml': quiet('g1', 'Outside the directory') });
      const cli = await runCliInProcess(
        ['plan', path.join(clone, 'audiences'), '--state', controller.stateDir],
        {
          env: emulatorEnv(controller.emulator),
          cwd: clone,
        },
      );
      // The CLI in a clone of the same commit: the diagnostics the controller must give.
      expect(cli.stdout).toContain(
        [
          'Diagnostics:',
          '  g1.yaml: warning: symlink points outside the source root; not followed [source/symlink-outside]',
          '  g3.yaml: warning: symlink points outside the source root; not followed [source/symlink-outside]',
          '  g2.yaml: error: symlink target does not exist (or is a loop): the audiences it defined are left as they are and deletions are held; restore its target, or remove the link [source/symlink-broken]',
        ].join('\n'),
      );

      controller.emulator.control.resetCounters();
      await pass(controller, 'webhook');
      const status = await controller.status();
      expect(status.diagnostics).toEqual([
        {
          file: 'g1.yaml',
          rule: 'source/symlink-outside',
          severity: 'warning',
          message: 'symlink points outside the source root; not followed',
        },
        {
          file: 'g3.yaml',
          rule: 'source/symlink-outside',
          severity: 'warning',
          message: 'symlink points outside the source root; not followed',
        },
        {
          file: 'g2.yaml',
          rule: 'source/symlink-broken',
          severity: 'error',
          message:
            'symlink target does not exist (or is a loop): the audiences it defined are left as they are and deletions are held; restore its target, or remove the link',
        },
      ]);
      expect(status.plan?.summary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0, held: 3 });
      const { byEndpoint } = controller.emulator.control.counters();
      expect(byEndpoint.patchAudience.requests).toBe(0);
      expect(byEndpoint.deleteAudience.requests).toBe(0);
      expect(descriptions(controller)).toEqual({
        'Audience g1': 'First words',
        'Audience g2': 'Second words',
        'Audience g3': 'Third words',
      });

      // The next passes, the resync's full read included, hold them too.
      await pass(controller, 'resync');
      await pass(controller, 'webhook');
      expect(controller.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(0);
      expect(controller.emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
      expect(Object.keys(descriptions(controller)).sort()).toEqual([
        'Audience g1',
        'Audience g2',
        'Audience g3',
      ]);
    });
  });
});
