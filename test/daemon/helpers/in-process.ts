import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createAepClient } from '../../../src/aep/client.js';
import { DEFAULT_OPERATION_POLL, DEFAULT_RUN_POLL } from '../../../src/apply/clock.js';
import { shieldCalls } from '../../../src/daemon/call-shield.js';
import { startHttpServer } from '../../../src/daemon/http-server.js';
import { clientHooks } from '../../../src/daemon/instruments.js';
import { createMetrics } from '../../../src/daemon/metrics.js';
import { Reconciler } from '../../../src/daemon/reconciler.js';
import type { StatusSnapshot } from '../../../src/daemon/types.js';
import { DEMO_CLIENT, DEMO_SANDBOX, type EmulatorOptions } from '../../../src/emulator/index.js';
import { createLogger } from '../../../src/log.js';
import type { PlanOptions } from '../../../src/plan/plan.js';
import type { ReadDirOptions } from '../../../src/manifest/read-dir.js';
import { DirectorySource } from '../../../src/source/dir-source.js';
import { GitSource } from '../../../src/source/git-source.js';
import type { Source } from '../../../src/source/types.js';
import { createGitFixture, type GitFixture } from '../../source/helpers/git-fixture.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { withEmulator, type TestEmulator } from '../../helpers/with-emulator.js';
import type { LogLine } from './controller.js';

const HOUR = 3_600_000;

/** One reconcile pass, triggered as a watch event triggers it, and settled. */
export async function reconcilePass(controller: InProcessController): Promise<void> {
  controller.reconciler.trigger('watch');
  await controller.reconciler.settled();
}

/** The audiences the emulator holds in prod, sorted: their names, or with `ids` `name id`. */
export function remoteAudiences(controller: InProcessController, ids = false): string[] {
  return controller.emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((a) => (ids ? `${a.audienceName} ${a.audienceId}` : a.audienceName))
    .sort();
}

/** The controller in this process: a directory source, a file store, the emulator, the HTTP server. */
export type InProcessController = {
  emulator: TestEmulator;
  /** The manifests directory the source reads (with `git`, unused: commit to `git` instead). */
  dir: string;
  /** With `source: 'git'`: the repository the controller follows (manifests under `audiences/`). */
  git: GitFixture | undefined;
  stateDir: string;
  reconciler: Reconciler;
  /** Parsed JSON log lines so far. */
  logs: LogLine[];
  /** GET /status from the HTTP server. */
  status: () => Promise<StatusSnapshot>;
  /** GET /plan from the HTTP server: its status code and body. */
  plan: () => Promise<{ code: number; body: string }>;
  /**
   * With `source: 'git'`: another controller on the same store and service, following `url`
   * (a path to the repository) from a work dir of its own; leading while `isLeader` says so
   * (a standby's passes only sync), as a replica on a PostgreSQL store. Stopped with the rest.
   */
  replica: (options: { url: string; isLeader: () => boolean }) => Reconciler;
};

export type InProcessOptions = {
  emulator?: EmulatorOptions;
  /** The guards, as `run`'s flags set them. */
  plan?: Partial<PlanOptions>;
  /** `--dry-run`: plan and publish, never execute. Default false. */
  dryRun?: boolean;
  /** `git`: follow a local repository's `main`, `--path audiences`. Default a directory. */
  source?: 'dir' | 'git';
  /** The source's `--path` below the repository (default `audiences`) or the directory (default none). */
  path?: string;
  /** `--include`/`--exclude`, as `run` reads them (give `plan.scope` to match). */
  read?: ReadDirOptions;
  /** With a directory: the watch debounce within which a file counts as being written (`run` sets it). */
  writeSettleMs?: number;
  /** The wall clock file times are compared with; default Date.now. */
  fileClock?: () => number;
  /**
   * Runs at a point of every pass, awaited before the pass goes on: `afterSync` once the source's
   * sync returned (before the manifests are read), `beforeRecords` when the pass reads the store's
   * records (after the manifests were read, before it plans).
   */
  hooks?: { afterSync?: () => Promise<void>; beforeRecords?: () => Promise<void> };
};

/** `source`, running `afterSync` once each sync returned. */
function hookedSource(source: Source, afterSync: (() => Promise<void>) | undefined): Source {
  if (!afterSync) return source;
  return {
    sync: async (signal, options) => {
      const revision = await source.sync(signal, options);
      await afterSync();
      return revision;
    },
    ...(source.changedPaths
      ? {
          changedPaths: (from: string, to: string, signal?: AbortSignal) =>
            source.changedPaths!(from, to, signal),
        }
      : {}),
    close: () => source.close(),
  };
}

/** `store`, running `beforeRecords` before each readAll. */
function hookedStore(
  store: FileStateStore,
  beforeRecords: (() => Promise<void>) | undefined,
): FileStateStore {
  if (!beforeRecords) return store;
  const readAll = store.readAll.bind(store);
  store.readAll = async (...args: Parameters<typeof readAll>) => {
    await beforeRecords();
    return readAll(...args);
  };
  return store;
}

/**
 * Runs `fn` with a controller reconciling on demand (`reconciler.trigger`, then
 * `reconciler.settled()`): no timers fire on their own within a test.
 */
export async function withInProcessController<T>(
  options: InProcessOptions,
  fn: (controller: InProcessController) => Promise<T>,
): Promise<T> {
  return withEmulator(
    { operationDelayMs: 10, runStageDelayMs: 10, ...options.emulator },
    async (emulator) => {
      const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-controller-'));
      const dir = path.join(root, 'manifests');
      const stateDir = path.join(root, 'state');
      await mkdir(dir);
      const logs: LogLine[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean))
            logs.push(JSON.parse(line) as LogLine);
          done();
        },
      });
      const metrics = createMetrics({ defaultMetrics: false });
      const stop = new AbortController();
      const client = createAepClient({
        baseUrl: emulator.apiBaseUrl,
        imsUrl: emulator.imsUrl,
        defaultAccess: {
          credentials: DEMO_CLIENT,
          budget: { requests: 1000, intervalMs: 1000, concurrency: 8 },
        },
        ...clientHooks(metrics),
      });
      const git = options.source === 'git' ? await createGitFixture() : undefined;
      const source: Source = git
        ? new GitSource({
            url: git.bare,
            branch: 'main',
            path: options.path ?? 'audiences',
            workDir: git.workDir,
            allowFileUrls: true,
          })
        : new DirectorySource(path.join(dir, options.path ?? ''));
      const replicas: Array<{ reconciler: Reconciler; source: Source }> = [];
      const build = (source: Source, isLeader?: () => boolean) =>
        new Reconciler({
          source: hookedSource(source, options.hooks?.afterSync),
          ...(isLeader ? { isLeader } : {}),
          store: hookedStore(new FileStateStore(stateDir), options.hooks?.beforeRecords),
          client: shieldCalls(client, { stop: stop.signal, cutoff: new AbortController().signal }),
          metrics,
          logger: createLogger({ level: 'info', destination }),
          settings: {
            dryRun: options.dryRun === true,
            read: options.read ?? {},
            defaultSandbox: DEMO_SANDBOX,
            planOptions: (now) => ({
              now,
              allowReplace: false,
              allowMassDelete: false,
              allowEmptySource: false,
              ...options.plan,
            }),
            lockTimeoutMs: 0,
            operationPoll: { ...DEFAULT_OPERATION_POLL, firstMs: 10, maxMs: 40 },
            runPoll: { ...DEFAULT_RUN_POLL, firstMs: 10, maxMs: 40, timeoutMs: 5_000 },
            ...(options.writeSettleMs === undefined ? {} : { writeSettleMs: options.writeSettleMs }),
          },
          intervalMs: HOUR,
          resyncIntervalMs: HOUR,
          requeueAfterMs: HOUR,
          backoff: { baseMs: HOUR, maxMs: HOUR },
          signal: stop.signal,
          ...(options.fileClock ? { fileClock: options.fileClock } : {}),
        });
      const reconciler = build(source);
      const replica = ({ url, isLeader }: { url: string; isLeader: () => boolean }) => {
        if (!git) throw new Error('replica: only with source git');
        const other = new GitSource({
          url,
          branch: 'main',
          path: options.path ?? 'audiences',
          workDir: path.join(root, `work-${replicas.length + 1}`),
          allowFileUrls: true,
        });
        const built = build(other, isLeader);
        replicas.push({ reconciler: built, source: other });
        return built;
      };
      const server = await startHttpServer({ host: '127.0.0.1', port: 0, status: reconciler });
      try {
        return await fn({
          emulator,
          dir,
          git,
          stateDir,
          reconciler,
          logs,
          status: async () => (await (await fetch(`${server.url}/status`)).json()) as StatusSnapshot,
          plan: async () => {
            const response = await fetch(`${server.url}/plan`);
            return { code: response.status, body: await response.text() };
          },
          replica,
        });
      } finally {
        stop.abort();
        await reconciler.stop();
        for (const other of replicas) {
          await other.reconciler.stop();
          await other.source.close();
        }
        await server.close();
        await source.close();
        await git?.cleanup();
        await rm(root, { recursive: true, force: true });
      }
    },
  );
}
