import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startController } from '../../src/daemon/controller.js';
import type { RunningController } from '../../src/daemon/controller-options.js';
import { SourceConfigError } from '../../src/source/errors.js';
import { manifestYaml } from '../helpers/manifests.js';
import { createGitFixture, type GitFixture } from '../source/helpers/git-fixture.js';
import { controllerOptions } from './helpers/start-options.js';

let fx: GitFixture | undefined;
const running: RunningController[] = [];

afterEach(async () => {
  for (const controller of running.splice(0)) await controller.stop('test over');
  await fx?.cleanup();
  fx = undefined;
});

/** `run --repo … --work-dir <shared>` in this process, a dry run on its own state directory. */
async function start(fixture: GitFixture, state: string): Promise<RunningController> {
  await mkdir(state, { recursive: true });
  const source = {
    kind: 'git' as const,
    options: {
      url: fixture.bare,
      branch: 'main',
      path: 'audiences',
      workDir: fixture.workDir,
      allowFileUrls: true,
    },
  };
  const controller = await startController(controllerOptions('', { kind: 'dir', dir: state }, { source }));
  running.push(controller);
  return controller;
}

describe('two controllers on one --work-dir', () => {
  it('refuses the second at start, naming the work dir and the holder; it starts once the first stopped', async () => {
    fx = await createGitFixture();
    await fx.commit({ 'audiences/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }) });
    const first = await start(fx, path.join(fx.root, 'state-1'));
    await first.reconciler.settled();

    const refused: unknown = await start(fx, path.join(fx.root, 'state-2')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SourceConfigError);
    expect((refused as SourceConfigError).message).toMatch(
      new RegExp(
        `^--work-dir ${path.resolve(fx.workDir)} is used by another audiencectl \\(pid ${process.pid} on host ${os.hostname()} since [^)]+\\): give each controller its own --work-dir\\.$`,
      ),
    );

    await first.stop('test');
    running.splice(0);
    const second = await start(fx, path.join(fx.root, 'state-2'));
    await second.reconciler.settled();
    expect(second.reconciler.status().plan?.summary).toMatchObject({ create: 1 });
  });
});
