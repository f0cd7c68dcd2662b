import { spawn } from 'node:child_process';
import { applyOnce, type ApplyOutcome } from '../../../src/apply/apply-flow.js';
import { systemClock } from '../../../src/apply/clock.js';
import type { PollSchedule, ProgressSink } from '../../../src/apply/types.js';
import type { EndpointName, ObservedRequest } from '../../../src/emulator/index.js';
import type { ManifestInput } from '../../../src/manifest/schema.js';
import { openStateStore } from '../../../src/state/open.js';
import { emulatorEnv } from '../../helpers/apply-env.js';
import { CLI, type CliResult } from '../../helpers/cli.js';
import { loadManifestObjects, type ExecutorEnv } from '../../helpers/executor-env.js';
import { options } from '../../helpers/planning.js';

/** An `apply` child process the test signals, reading its output as it comes. */
export type ApplyChild = {
  signal(name: NodeJS.Signals): void;
  /** Resolves once standard error holds `text`; rejects if the process ends first. */
  stderrShows(text: string): Promise<void>;
  exited: Promise<CliResult>;
};

export function spawnApply(
  env: ExecutorEnv,
  dir: string,
  state: string,
  flags: readonly string[] = [],
): ApplyChild {
  const child = spawn(
    process.execPath,
    [CLI, 'apply', dir, '--state', state, '--sandbox', 'prod', '--auto-approve', ...flags],
    { env: { ...process.env, ...emulatorEnv(env.emulator), NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  const wakers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const wake of wakers) wake();
  });
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => {
      for (const wake of wakers) wake();
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  return {
    signal: (name) => child.kill(name),
    exited,
    stderrShows: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (stderr.includes(text)) {
            wakers.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            wakers.delete(check);
            reject(new Error(`apply ended before printing "${text}":\n${stdout}\n${stderr}`));
          }
        };
        wakers.add(check);
        check();
      }),
  };
}

/**
 * Holds the answers to requests of `kind` that `pick` selects until `release` is called
 * (the service has already acted on them); `arrived` resolves with the first one held.
 */
export function holdAnswers(
  env: ExecutorEnv,
  kind: EndpointName,
  pick: (request: ObservedRequest, seen: number) => boolean = () => true,
): { arrived: Promise<void>; release(): void; stop(): void } {
  let seen = 0;
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const stop = env.emulator.control.observeRequests((request) => {
    if (request.endpoint !== kind) return undefined;
    seen += 1;
    if (!pick(request, seen)) return undefined;
    arrive();
    return released;
  });
  return {
    arrived,
    release,
    stop: () => {
      release();
      stop();
    },
  };
}

/** Resolves when the service has answered a request of `kind`. */
export function answered(env: ExecutorEnv, kind: EndpointName): Promise<void> {
  return new Promise((resolve) => {
    const stop = env.emulator.control.observeRequests((request) => {
      if (request.endpoint !== kind) return;
      stop();
      resolve();
    });
  });
}

const FAST_POLL: PollSchedule = { firstMs: 5, factor: 1.5, maxMs: 40, timeoutMs: 10_000 };
/** A run still in progress is left to a later apply soon: the tests count runs started, not finished. */
const SHORT_RUN_POLL: PollSchedule = { ...FAST_POLL, timeoutMs: 200 };
const SILENT: ProgressSink = { stepStarted() {}, stepFinished() {}, note() {}, close() {} };

/**
 * One apply in this process on any store location (a directory or a postgres:// URL),
 * with no lock wait: it fails at once if a process still holds the lock.
 */
export async function applyAt(
  env: ExecutorEnv,
  location: string,
  manifests: readonly ManifestInput[],
  /** The directory the records say the manifests are read from (AudienceRecord.sourceRoot). */
  sourceRoot?: string,
): Promise<ApplyOutcome> {
  const store = await openStateStore(location);
  try {
    return await applyOnce(
      {
        kind: 'manifests',
        desired: loadManifestObjects(manifests),
        planOptions: options({ now: Math.floor(Date.now() / 1000) }),
      },
      {
        client: env.client,
        store,
        clock: systemClock,
        lockTimeoutMs: 0,
        operationPoll: FAST_POLL,
        runPoll: SHORT_RUN_POLL,
        review: () => Promise.resolve(true),
        progress: () => SILENT,
        ...(sourceRoot === undefined ? {} : { sourceRoot }),
      },
    );
  } finally {
    await store.close();
  }
}
