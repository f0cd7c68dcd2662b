import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll } from 'vitest';
import type { StatusSnapshot } from '../../../src/daemon/types.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../src/emulator/index.js';
import { manifestYaml } from '../../helpers/manifests.js';
import { createGitFixture, type GitFixture } from '../../source/helpers/git-fixture.js';
import { startHttpsGitServer, type HttpsGitServer } from '../../source/helpers/https-git-server.js';
import {
  assertBuilt,
  cleanUp,
  controllerEnv,
  eventuallyLogged,
  startController,
  type ControllerProcess,
} from './controller.js';

/** What `controllerSpec` gives each test. */
export type ControllerSpec = {
  /** Starts this test's emulator (port 0, then `options`) and makes its temp directory, named `prefix`…. */
  setUp(options?: EmulatorOptions): Promise<{ em: RunningEmulator; root: string }>;
  /** This test's git fixture (a bare repository and a work tree), cleaned up after it. */
  gitFixture(): Promise<GitFixture>;
  /** Makes this test's temp directory alone (no emulator), named `prefix`…. */
  tempDir(): Promise<string>;
  /**
   * `setUp`, then a git fixture whose bare repository is served over real HTTPS as `served`
   * (`acme/audiences.git`) under root/serve, to `username` with `token`: `server.url` + `/` +
   * `served` is the --repo. The server is closed after the test, then the rest torn down.
   */
  serveRepository(served: string, username: string, token: string): Promise<ServedRepository>;
  /**
   * Spawns the built `audiencectl run ...args` (see StartOptions); each one the test started is
   * stopped after it, before the rest is torn down.
   */
  start(args: string[], env: Record<string, string>, options?: StartOptions): Promise<ControllerProcess>;
};

/** How `ControllerSpec.start` spawns a controller. */
export type StartOptions = {
  /** Run as this user and group (as root, to be refused what a user is). */
  as?: { uid?: number; gid?: number } | undefined;
  /**
   * How long its start ('controller started') may take, a guard against a hang (at least
   * 30 s, startController's default): several replicas starting together take longer.
   */
  startTimeoutMs?: number;
};

/** What `serveRepository` gives a test. */
export type ServedRepository = {
  em: RunningEmulator;
  root: string;
  repo: GitFixture;
  server: HttpsGitServer;
};

/**
 * The set-up of a spec file that spawns the built controller against an emulator: checks that
 * dist/ is built, and tears down after each test its controllers (every one it started: the
 * replicas of one store, a first controller and the next), then its served repository,
 * emulator, git fixture and temp directory (`cleanUp`). Call at the top of the file.
 */
export function controllerSpec(prefix: string): ControllerSpec {
  type Parts = {
    emulator?: RunningEmulator;
    root?: string;
    controllers: ControllerProcess[];
    fixture?: GitFixture;
    server?: HttpsGitServer;
  };
  let parts: Parts = { controllers: [] };
  beforeAll(assertBuilt);
  afterEach(async () => {
    const { controllers, server, emulator, fixture, root } = parts;
    parts = { controllers: [] };
    await Promise.all(controllers.map((controller) => controller.stop('SIGKILL')));
    await server?.close();
    await cleanUp({ emulator, fixture, dir: root });
  });
  async function tempDir() {
    return (parts.root = await mkdtemp(path.join(tmpdir(), prefix)));
  }
  async function gitFixture() {
    return (parts.fixture = await createGitFixture());
  }
  async function setUp(options?: EmulatorOptions) {
    const em = (parts.emulator = await startEmulator({ port: 0, ...options }));
    const root = await tempDir();
    return { em, root };
  }
  return {
    setUp,
    tempDir,
    gitFixture,
    async serveRepository(served, username, token) {
      const { em, root } = await setUp();
      const repo = await gitFixture();
      const at = path.join(root, 'serve', served);
      await mkdir(path.dirname(at), { recursive: true });
      await symlink(repo.bare, at);
      const server = (parts.server = await startHttpsGitServer(path.join(root, 'serve'), username, token));
      return { em, root, repo, server };
    },
    async start(args, env, { as, startTimeoutMs } = {}) {
      const controller = await startController(args, env, startTimeoutMs, as);
      parts.controllers.push(controller);
      return controller;
    },
  };
}

/** `controller`'s /status once `done` holds it (the 20 s wait a guard against a hang). */
export function statusWhen(
  controller: ControllerProcess,
  done: (status: StatusSnapshot) => boolean,
  what: string,
): Promise<StatusSnapshot> {
  return eventuallyLogged([controller], () => controller.status(), done, 20_000, what);
}

/** Where `startedOnDir` and `goldCreatedFromDir` start a controller. */
export type OnDir = {
  em: RunningEmulator;
  /** the state goes in root/state */
  root: string;
  /** the watched --dir */
  dir: string;
  /** flags after the others (a pass an hour, not a dry run) */
  more?: string[];
};

/**
 * `spec`'s controller on `--dir dir` (state in root/state, a pass an hour, then `more` flags),
 * not a dry run, as started: its first pass may not have run yet.
 */
export async function startedOnDir(
  spec: ControllerSpec,
  { em, root, dir, more = [] }: OnDir,
): Promise<ControllerProcess> {
  return spec.start(['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h', ...more], {
    ...controllerEnv(em),
    AUDIENCECTL_DRY_RUN: 'false',
  });
}

/**
 * startedOnDir's controller once the one manifest there (gold) is created: the start of the
 * --dir watch specs.
 */
export async function goldCreatedFromDir(spec: ControllerSpec, on: OnDir): Promise<ControllerProcess> {
  const ctl = await startedOnDir(spec, on);
  await eventuallyLogged(
    [ctl],
    () => ctl.status(),
    (s) => s.audiences.length === 1 && s.reconcile.lastResult === 'success',
    20_000,
    'gold created',
  );
  return ctl;
}

/** What `appliedByFirstController` leaves: its emulator and directories, and the next controller's flags. */
export type Applied = {
  em: RunningEmulator;
  root: string;
  /** root/manifests */
  dir: string;
  /** the --state: root/state (a directory store), or the `location` given */
  state: string;
  /** --dir, --state, hourly passes and refreshes: the next controller adds its resync interval. */
  args: string[];
};

/**
 * The start of the refresh specs: one manifest per name (no run on create) in root/manifests,
 * created by a first controller (hourly passes, resyncs and refreshes), then stopped; the spec
 * then changes AEP as a UI user would and starts the next controller with `args`. The state is in
 * root/state unless a `location` (a PostgreSQL URL) is given.
 */
export async function appliedByFirstController(
  spec: ControllerSpec,
  names = ['gold'],
  location?: string,
): Promise<Applied> {
  const { em, root } = await spec.setUp();
  const dir = path.join(root, 'manifests');
  const state = location ?? path.join(root, 'state');
  await mkdir(dir);
  for (const name of names)
    await writeFile(path.join(dir, `${name}.yaml`), manifestYaml(name, { ingestion: { onCreate: false } }));
  const args = ['--dir', dir, '--state', state, '--interval', '1h', '--refresh-interval', '1h'];
  const first = await spec.start([...args, '--resync-interval', '1h'], controllerEnv(em));
  await statusWhen(
    first,
    (s) => s.audiences.length === names.length && s.audiences.every((a) => a.state === 'in-sync'),
    names.length === 1 ? `${names[0] ?? ''} created` : 'all created',
  );
  await first.stop();
  return { em, root, dir, state, args };
}
