import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * Review 33, M-1. `run` read AUDIENCECTL_INCLUDE / AUDIENCECTL_EXCLUDE (and its own
 * `--include`/`--exclude`) split at blanks, so a glob naming a folder with a space
 * (`Team A/archive/**`) became `Team` and `A/archive/**`, which exclude nothing: the controller
 * created the archived audiences the CLI's `--exclude 'Team A/archive/**'` leaves out, and said
 * nothing. A variable holding line breaks is now one glob per line; one on a single line is
 * still split at blanks (existing deployments), and refused, naming the variable, when a piece
 * cannot be a glob on its own. The built CLI, spawned, against the emulator over HTTP.
 */
const spec = controllerSpec('audiencectl-filter-env-');

const quiet = { ingestion: { onCreate: false } };

/** This test's emulator, and Team A/live.yaml, Team A/archive/retired.yaml and drafts/draft.yaml under its root/audiences. */
async function teamTree(): Promise<{ em: RunningEmulator; dir: string; state: string }> {
  const { em, root } = await spec.setUp();
  const dir = path.join(root, 'audiences');
  const state = path.join(root, 'state');
  await mkdir(path.join(dir, 'Team A', 'archive'), { recursive: true });
  await mkdir(path.join(dir, 'drafts'));
  await mkdir(state);
  await writeFile(path.join(dir, 'Team A', 'live.yaml'), manifestYaml('live', quiet));
  await writeFile(path.join(dir, 'Team A', 'archive', 'retired.yaml'), manifestYaml('retired', quiet));
  await writeFile(path.join(dir, 'drafts', 'draft.yaml'), manifestYaml('draft', quiet));
  return { em, dir, state };
}

/** Starts the controller on `dir`, waits for its first pass, and returns the audience names `em` holds. */
async function createdBy(
  em: RunningEmulator,
  args: string[],
  env: Record<string, string>,
): Promise<string[]> {
  const ctl = await spec.start([...args, '--interval', '1h'], env);
  const status = await eventuallyLogged(
    [ctl],
    () => ctl.status(),
    (s) => s.reconcile.lastResult !== null,
    20_000,
    'the first pass',
  );
  expect(status.reconcile.lastResult).toBe('success');
  return em.control
    .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
    .map((a) => a.audienceName)
    .sort();
}

describe('AUDIENCECTL_EXCLUDE naming a folder with a space', () => {
  it('does not create the audiences of the excluded folder', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'audiences');
    const state = path.join(root, 'state');
    await mkdir(path.join(dir, 'Team A', 'archive'), { recursive: true });
    await mkdir(state);
    await writeFile(path.join(dir, 'Team A', 'live.yaml'), manifestYaml('live', quiet));
    await writeFile(path.join(dir, 'Team A', 'archive', 'retired.yaml'), manifestYaml('retired', quiet));
    const env = controllerEnv(em);

    // The CLI given the same glob leaves the archive out.
    const plan = await runCli(['plan', dir, '--state', state, '--exclude', 'Team A/archive/**'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('+ prod/live create');
    expect(plan.stdout).not.toContain('retired');

    const started = await spec
      .start(['--dir', dir, '--state', state, '--interval', '1h'], {
        ...env,
        AUDIENCECTL_EXCLUDE: 'Team A/archive/**',
      })
      .then(
        (ctl) => ({ ctl }),
        (error: unknown) => ({ refused: error as Error }),
      );
    if ('refused' in started) {
      // Refusing the value is a fix too, when it names the variable.
      expect(started.refused.message).toContain('AUDIENCECTL_EXCLUDE');
      return;
    }
    const { ctl } = started;
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult !== null,
      20_000,
      'the first pass',
    );
    const names = em.control
      .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
      .map((a) => a.audienceName)
      .sort();
    expect(names).toEqual(['Audience live']);
  });

  it('on one line, is refused in one line naming the variable, and nothing is created', async () => {
    const { em, dir, state } = await teamTree();
    const result = await runCli(['run', '--dir', dir, '--state', state, '--interval', '1h'], {
      env: { ...controllerEnv(em), AUDIENCECTL_EXCLUDE: 'Team A/archive/**' },
      stopOn: /listening|serving|reconcil/i,
    });
    expect(result.stderr).toBe(
      'Error: AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "Team" (of "Team A/archive/**") is no glob on its own (no wildcard, no file extension); put each glob on its own line\n',
    );
    expect(result.code).toBe(1);
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toEqual([]);
  });

  it('one glob per line (a YAML block in a Helm value) excludes the folder, blank lines ignored', async () => {
    const { em, dir, state } = await teamTree();
    const names = await createdBy(em, ['--dir', dir, '--state', state], {
      ...controllerEnv(em),
      AUDIENCECTL_EXCLUDE: '\ndrafts/**\n  Team A/archive/**  \r\n\n',
    });
    expect(names).toEqual(['Audience live']);
  });

  it('AUDIENCECTL_INCLUDE one glob per line reads only the folder it names', async () => {
    const { em, dir, state } = await teamTree();
    const names = await createdBy(em, ['--dir', dir, '--state', state], {
      ...controllerEnv(em),
      AUDIENCECTL_INCLUDE: 'Team A/*.yaml\n',
    });
    expect(names).toEqual(['Audience live']);
  });

  it('a space-separated list of globs on one line reads as before', async () => {
    const { em, dir, state } = await teamTree();
    const names = await createdBy(em, ['--dir', dir, '--state', state], {
      ...controllerEnv(em),
      AUDIENCECTL_EXCLUDE: 'drafts/**  **/archive/**',
    });
    expect(names).toEqual(['Audience live']);
  });

  it('--exclude on the command line is one glob, blanks and all, as for plan', async () => {
    const { em, dir, state } = await teamTree();
    const names = await createdBy(
      em,
      ['--dir', dir, '--state', state, '--exclude', 'Team A/archive/**', '--exclude', 'drafts/**'],
      controllerEnv(em),
    );
    expect(names).toEqual(['Audience live']);
  });
});
