import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { isPostgresUrl } from '../../../src/state/location.js';
import { CLI } from '../../helpers/cli.js';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../../src/emulator/index.js';
import type { StatusSnapshot } from '../../../src/daemon/types.js';

export type LogLine = Record<string, unknown> & { msg?: string };

/** A running `audiencectl run` child process. */
export type ControllerProcess = {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Parsed JSON log lines so far (stderr). */
  logs: LogLine[];
  stdout(): string;
  status(): Promise<StatusSnapshot>;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  /** Resolves when a log line matching `match` appears. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Calls `listener` after each batch of log lines; returns the unsubscribe. */
  onLog(listener: () => void): () => void;
};

/** The first pass to end (finished or failed) logged at or after the `after`th log line. */
export function passEnded(controller: ControllerProcess, after: number): Promise<LogLine> {
  return controller.waitForLog(
    (line) =>
      (line.msg === 'reconcile finished' || line.msg === 'reconcile failed') &&
      controller.logs.indexOf(line) >= after,
    20_000,
  );
}

/**
 * A controller on `dir` and the directory store `state` that passes only when told to (every
 * interval an hour) and retries a failed pass at once (backoff 50–200 ms).
 */
export function quietControllerArgs(dir: string, state: string): string[] {
  return [
    ...['--dir', dir, '--state', state, '--interval', '1h', '--refresh-interval', '1h'],
    ...['--resync-interval', '1h', '--backoff-base', '50ms', '--backoff-max', '200ms'],
  ];
}

/** Everything the child needs to reach `emulator`, and nothing inherited that would change its behaviour. */
export function controllerEnv(emulator: RunningEmulator): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('AUDIENCECTL_') && !name.startsWith('AEP_'))
      env[name] = value;
  }
  return {
    ...env,
    AEP_BASE_URL: emulator.apiBaseUrl,
    AEP_IMS_URL: emulator.imsUrl,
    AEP_CLIENT_ID: DEMO_CLIENT.clientId,
    AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
    AEP_ORG_ID: DEMO_CLIENT.orgId,
    AUDIENCECTL_POLL_INTERVAL_MS: '50',
    AUDIENCECTL_LISTEN: '127.0.0.1:0',
    AUDIENCECTL_LOG_LEVEL: 'debug',
  };
}

export async function assertBuilt(): Promise<void> {
  try {
    await access(CLI);
  } catch {
    throw new Error('dist/ has no CLI: build first with `npm run build`');
  }
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The wait a caller names is only a guard against a hang: what a spec asserts never depends on
 * how soon a condition holds. Under a loaded runner (CI's workers, or several spec files beside
 * each other on two cores) a controller's first pass took over 10 s, so no wait gives up before
 * 30 s, whatever its caller asked.
 */
const guardMs = (timeoutMs: number) => Math.max(timeoutMs, 30_000);

/**
 * `eventually`, reading again only once one of `watched` has logged since the last read (or
 * `idleMs` passed without a line): a controller's state changes with what it logs, and polling
 * its /status every 25 ms, with two or three replicas for seconds, cost each side CPU. At most
 * one read per 25 ms, as `eventually`.
 */
export async function eventuallyLogged<T>(
  watched: readonly ControllerProcess[],
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  what = 'condition',
  idleMs = 250,
): Promise<T> {
  let logged = false;
  let wake: (() => void) | undefined;
  const stops = watched.map((controller) =>
    controller.onLog(() => {
      logged = true;
      wake?.();
    }),
  );
  try {
    const deadline = Date.now() + guardMs(timeoutMs);
    for (;;) {
      logged = false;
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${guardMs(timeoutMs)} ms waiting for ${what}: ${JSON.stringify(value)}`,
        );
      await sleep(25);
      if (!logged) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, idleMs);
        });
        clearTimeout(timer);
        wake = undefined;
      }
    }
  } finally {
    for (const stop of stops) stop();
  }
}

/**
 * Polls `read` until `done` holds; returns the last value read. Every 25 ms: for what this process
 * reads cheaply (the emulator's requests and audiences, a file); a spawned controller's /status
 * or /readyz is an HTTP request each side pays for, read with `eventuallyLogged`.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + guardMs(timeoutMs);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${guardMs(timeoutMs)} ms waiting for ${what}: ${JSON.stringify(value)}`,
      );
    await sleep(25);
  }
}

/** The emulator's audience `Audience <name>` in prod, if it holds one. */
export function remoteAudience(emulator: RunningEmulator, name: string) {
  return emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .find((a) => a.audienceName === `Audience ${name}`);
}

/**
 * The names of the audiences in the emulator's demo sandbox once it holds one (the wait a guard
 * against a hang, never a claim about speed), else as they are when the wait gives up: the
 * caller's assertion then shows what is there.
 */
export async function pushedAudienceNames(emulator: RunningEmulator): Promise<string[]> {
  const names = () =>
    emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).map((a) => a.audienceName);
  return eventually(names, (found) => found.length > 0, 20_000, 'the pushed audience created').catch(names);
}

/**
 * Starts two replicas (`start(1)`, `start(2)`: ControllerSpec.start, which stops them after the
 * test) on one PostgreSQL store, and waits until exactly one leads and `settled` holds for both
 * statuses: the leader and the standby.
 */
export async function leaderAndStandby(
  start: (n: number) => Promise<ControllerProcess>,
  settled: (all: Awaited<ReturnType<ControllerProcess['status']>>[]) => boolean,
  what: string,
): Promise<{ leader: ControllerProcess; standby: ControllerProcess }> {
  const replicas = await Promise.all([start(1), start(2)]);
  const roles = await eventuallyLogged(
    replicas,
    () => Promise.all(replicas.map(async (r) => r.status())),
    (all) => all.filter((s) => s.role === 'leader').length === 1 && settled(all),
    60_000,
    what,
  );
  const leader = replicas[roles.findIndex((s) => s.role === 'leader')]!;
  return { leader, standby: replicas.find((r) => r !== leader)! };
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills controllers a failed test left running (call in afterEach). */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** What one end-to-end test made; any part may be missing (the test failed early). */
export type TestParts = {
  controller?: ControllerProcess | undefined;
  emulator?: RunningEmulator | undefined;
  fixture?: { cleanup(): Promise<void> } | undefined;
  dir?: string | undefined;
};

/** Tears down a test's controller, emulator, git fixture and temp dir, in that order (call in afterEach). */
export async function cleanUp(parts: TestParts): Promise<void> {
  await parts.controller?.stop('SIGKILL');
  killLeftovers();
  await parts.emulator?.close();
  await parts.fixture?.cleanup();
  if (parts.dir) await rm(parts.dir, { recursive: true, force: true });
}

/** Starts `audiencectl run ...args` and resolves once its HTTP server listens. */
export async function startController(
  args: string[],
  env: Record<string, string>,
  /** A guard against hangs, not a claim about speed: several replicas start slower together. */
  startTimeoutMs = 10_000,
  /** Run as this user and group (as root, to be refused what a user is). */
  as: { uid?: number; gid?: number } = {},
): Promise<ControllerProcess> {
  // A directory store must exist before the controller starts (the image makes its
  // directory, a volume is mounted there): made here, as an operator would.
  const state = args[args.indexOf('--state') + 1];
  if (args.includes('--state') && state !== undefined && !isPostgresUrl(state))
    await mkdir(state, { recursive: true });
  const child = spawn(process.execPath, [CLI, 'run', ...args], { env, ...as });
  running.add(child);
  const logs: LogLine[] = [];
  let stderr = '';
  let stdout = '';
  const waiters = new Set<() => void>();
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const lines = stderr.split('\n');
    stderr = lines.pop() ?? '';
    for (const text of lines) {
      try {
        logs.push(JSON.parse(text) as LogLine);
      } catch {
        logs.push({ msg: text, raw: true });
      }
    }
    for (const wake of waiters) wake();
  });

  function waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no matching log line in ${guardMs(timeoutMs)} ms:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`,
          ),
        );
      }, guardMs(timeoutMs));
      const onExit = () => {
        cleanup();
        reject(new Error(`controller exited:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\n${stdout}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });
  }

  const started = await waitForLog((line) => line.msg === 'controller started', startTimeoutMs).catch(
    (error: unknown) => {
      child.kill('SIGKILL'); // never leave a half-started controller behind
      throw error;
    },
  );
  const url = String(started['url']);
  return {
    url,
    child,
    logs,
    stdout: () => stdout,
    waitForLog,
    onLog(listener) {
      waiters.add(listener);
      return () => void waiters.delete(listener);
    },
    async status() {
      // A kept-alive connection the controller closed as idle just as the next poll went out on it
      // (its timer late behind a busy event loop: a 10,000-audience pass) resets that request
      // (ECONNRESET: the bench's status polls, pass 51). Asked once more, on a new connection.
      const response = await fetch(`${url}/status`).catch((error: unknown) => {
        if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
        return fetch(`${url}/status`);
      });
      return (await response.json()) as StatusSnapshot;
    },
    async stop(signal = 'SIGTERM') {
      const sent = Date.now();
      child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - sent };
    },
  };
}
