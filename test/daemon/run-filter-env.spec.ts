import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventuallyLogged,
  startController,
  type ControllerProcess,
} from './helpers/controller.js';

/**
 * Review 33, M-1. `run` read AUDIENCECTL_INCLUDE / AUDIENCECTL_EXCLUDE (and its own
 * `--include`/`--exclude`) split at blanks, so a glob naming a folder with a space
 * (`Team A/archive/**`) became `Team` and `A/archive/**`, which exclude nothing: the controller
 * created the archived audiences the CLI's `--exclude 'Team A/archive/**'` leaves out, and said
 * nothing. A variable holding line breaks is now one glob per line; one on a single line is
 * still split at blanks (existing deployments), and refused, naming the variable, when a piece
 * cannot be a glob on its own. The built CLI, spawned, against the emulator over HTTP.
 */
let emulator: RunningEmulator | undefined;
let root: string | undefined;
let controller: ControllerProcess | undefined;

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp({ controller, emulator, dir: root });
  controller = emulator = root = undefined;
});

const quiet = { ingestion: { onCreate: false } };

/** Team A/live.yaml, Team A/archive/retired.yaml and drafts/draft.yaml under `root`/audiences. */
async function teamTree(): Promise<{ dir: string; state: string }> {
  root = await mkdtemp(path.join(tmpdir(), 'audiencectl-filter-env-'));
  const dir = path.join(root, 'audiences');
  const state = path.join(root, 'state');
  await mkdir(path.join(dir, 'Team A', 'archive'), { recursive: true });
  await mkdir(path.join(dir, 'drafts'));
  await mkdir(state);
  await writeFile(path.join(dir, 'Team A', 'live.yaml'), manifestYaml('live', quiet));
  await writeFile(path.join(dir, 'Team A', 'archive', 'retired.yaml'), manifestYaml('retired', quiet));
  await writeFile(path.join(dir, 'drafts', 'draft.yaml'), manifestYaml('draft', quiet));
  return { dir, state };
}

/** Starts the controller on `dir`, waits for its first pass, and returns the audience names created. */
async function createdBy(args: string[], env: Record<string, string>): Promise<string[]> {
  const em = emulator!;
  controller = await startController([...args, '--interval', '1h'], env);
  const ctl = controller;
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
    emulator = await startEmulator({ port: 0 });
    const em = emulator;
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-review33-'));
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

    let refused: Error | undefined;
    try {
      controller = await startController(['--dir', dir, '--state', state, '--interval', '1h'], {
        ...env,
        AUDIENCECTL_EXCLUDE: 'Team A/archive/**',
      });
    } catch (error) {
      refused = error as Error;
    }
    if (refused !== undefined) {
      // Refusing the value is a fix too, when it names the variable.
      expect(refused.message).toContain('AUDIENCECTL_EXCLUDE');
      return;
    }
    const ctl = controller!;
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
    emulator = await startEmulator({ port: 0 });
    const { dir, state } = await teamTree();
    const result = await runCli(['run', '--dir', dir, '--state', state, '--interval', '1h'], {
      env: { ...controllerEnv(emulator), AUDIENCECTL_EXCLUDE: 'Team A/archive/**' },
      stopOn: /listening|serving|reconcil/i,
    });
    expect(result.stderr).toBe(
      'Error: AUDIENCECTL_EXCLUDE: a value on one line is split at blanks, and "Team" (of "Team A/archive/**") is no glob on its own (no wildcard, no file extension); put each glob on its own line\n',
    );
    expect(result.code).toBe(1);
    expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toEqual([]);
  });

  it('one glob per line (a YAML block in a Helm value) excludes the folder, blank lines ignored', async () => {
    emulator = await startEmulator({ port: 0 });
    const { dir, state } = await teamTree();
    const names = await createdBy(['--dir', dir, '--state', state], {
      ...controllerEnv(emulator),
      AUDIENCECTL_EXCLUDE: '\ndrafts/**\n  Team A/archive/**  \r\n\n',
    });
    expect(names).toEqual(['Audience live']);
  });

  it('AUDIENCECTL_INCLUDE one glob per line reads only the folder it names', async () => {
    emulator = await startEmulator({ port: 0 });
    const { dir, state } = await teamTree();
    const names = await createdBy(['--dir', dir, '--state', state], {
      ...controllerEnv(emulator),
      AUDIENCECTL_INCLUDE: 'Team A/*.yaml\n',
    });
    expect(names).toEqual(['Audience live']);
  });

  it('a space-separated list of globs on one line reads as before', async () => {
    emulator = await startEmulator({ port: 0 });
    const { dir, state } = await teamTree();
    const names = await createdBy(['--dir', dir, '--state', state], {
      ...controllerEnv(emulator),
      AUDIENCECTL_EXCLUDE: 'drafts/**  **/archive/**',
    });
    expect(names).toEqual(['Audience live']);
  });

  it('--exclude on the command line is one glob, blanks and all, as for plan', async () => {
    emulator = await startEmulator({ port: 0 });
    const { dir, state } = await teamTree();
    const names = await createdBy(
      ['--dir', dir, '--state', state, '--exclude', 'Team A/archive/**', '--exclude', 'drafts/**'],
      controllerEnv(emulator),
    );
    expect(names).toEqual(['Audience live']);
  });
});
