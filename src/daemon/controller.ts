import { setMaxListeners } from 'node:events';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { componentLogger, type Logger } from '../log.js';
import { DirectorySource } from '../source/dir-source.js';
import { watchDirectory, type DirectoryWatcher } from '../source/dir-watch.js';
import { createGitSource } from '../source/git-source.js';
import { recordedRepositoryOf, repositoryPathOf } from '../source/repository-id.js';
import { workTreeRepository } from '../source/work-tree-repository.js';
import type { Source } from '../source/types.js';
import { openStateStore } from '../state/open.js';
import { assertSameOrgs } from '../state/org-binding.js';
import { requireStateStore } from '../state/presence.js';
import { cachedReads } from './cached-reads.js';
import { watchWrites } from './write-failures.js';
import { shieldCalls } from './call-shield.js';
import { startHttpServer, type DaemonHttpServer } from './http-server.js';
import { clientHooks } from './instruments.js';
import { createMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';
import { Leadership, leaderView } from './leadership.js';
import { controllerSource } from './controller-source.js';
import type { WebhookTarget } from './types.js';
import { otherRepositoryCheck } from './other-repository.js';

import type { ControllerOptions, RunningController } from './controller-options.js';

export type {
  ControllerConnection,
  ControllerOptions,
  ControllerSource,
  RunningController,
} from './controller-options.js';
import { leavesDirectory } from '../files/leaves-directory.js';

function createSource(options: ControllerOptions, logger: Logger): Source {
  if (options.source.kind === 'git') return createGitSource(options.source.options, { logger });
  return new DirectorySource(options.source.dir);
}

/** True when `file` is `dir` or inside it. */
function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || !leavesDirectory(relative);
}

/** Errors of binding an address a user can cause: a busy port, a host that is not this machine's or does not resolve. */
const LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL']);

function listenError(error: unknown, listen: { host: string; port: number }, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !LISTEN_CODES.has(code)) return error;
  const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `${code}: no such host` : code;
  return new UsageError('LISTEN_FAILED', `${flag}: cannot listen on ${listen.host}:${listen.port} (${why})`, {
    cause: error,
  });
}

async function openStoreAndClient(options: ControllerOptions, metrics: ReturnType<typeof createMetrics>) {
  // As `apply`: a directory store must exist (an empty directory is a new store); a mistyped
  // path read as a new store would create every audience a second time.
  await requireStateStore(options.state, undefined, options.stateFrom);
  const store = await openStateStore(options.state, options.stateAccess);
  const connection = await options
    .connect({ logger: options.logger, ...clientHooks(metrics) }, store)
    .catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
  return { store, connection };
}

/** Calls in flight get the grace period minus this margin (at most 5 s) to finish. */
function callDeadline(graceMs: number): number {
  return Math.max(0, graceMs - Math.min(5_000, graceMs / 5));
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  if (options.webhookListen && !options.webhookSecret)
    throw new UsageError(
      'WEBHOOK_LISTEN',
      '--webhook-listen needs a webhook secret (AUDIENCECTL_WEBHOOK_SECRET_FILE or AUDIENCECTL_WEBHOOK_SECRET)',
    );
  const log = componentLogger(options.logger, 'controller');
  const metrics = createMetrics();
  const stopping = new AbortController();
  const cutoff = new AbortController();
  // Every step, poll and request of a pass listens to these.
  setMaxListeners(0, stopping.signal);
  setMaxListeners(0, cutoff.signal);

  const source = createSource(options, options.logger);
  // A second controller on the same --work-dir is refused here, before it touches a checkout.
  await source.open?.();
  const { store, connection } = await openStoreAndClient(options, metrics).catch(async (error: unknown) => {
    // The work dir lock is released, so that a retry in this process is not refused.
    await source.close();
    throw error;
  });
  // A store of another org is refused at start, not pass after pass; then every lock checks
  // it again and the first write to a sandbox binds it to this org.
  const orgOf = (sandbox: string) => connection.client.orgOf(sandbox);
  try {
    assertSameOrgs(await store.meta(), orgOf, store.location);
  } catch (error) {
    await source.close();
    await connection.close();
    await store.close();
    throw error;
  }
  store.useOrgs(orgOf);
  let onDeposed: (error: Error) => void = () => undefined;
  const deposed = new Promise<Error>((resolve) => {
    onDeposed = resolve;
  });
  // Replicas sharing a PostgreSQL store elect a leader through its lock; only the leader reconciles.
  // A dry run writes nothing and takes no lock: it stays out of the election, where it would stand
  // by (and plan nothing) or lead, and then stop the applying replicas and lock `apply` out.
  const leadership =
    store.shared && !options.settings.dryRun
      ? new Leadership({
          store,
          logger: log,
          // Recorded with the lock: a controller of another source on this schema says it cannot lead.
          source: controllerSource(options),
          ...(options.electionPollMs === undefined ? {} : { pollMs: options.electionPollMs }),
          onElected: () => {
            metrics.setRole('leader');
            reconciler.trigger('startup');
          },
          onDeposed: (error) => {
            metrics.setRole('standby');
            // Cut the pass short now, not after a grace period: a call still queued behind the
            // request budget or a Retry-After went out after another replica had taken over and
            // settled this one's intents (a second create, a second run), and its outcome could
            // not be recorded anyway, every write being fenced. Its intent is the new leader's.
            stopping.abort();
            cutoff.abort();
            onDeposed(error);
          },
        })
      : undefined;
  if (leadership) metrics.setRole('standby');
  // A write that failed as the store takes none fails the pass that met it (write-failures.ts).
  const writes = watchWrites(leadership ? leaderView(store, leadership) : store);
  const leaderStore = writes.store;
  // Records are read again only when the serial moved (or once a resync interval); not with --full-reads.
  const records = options.settings.fullReads
    ? undefined
    : cachedReads(leaderStore, { maxAgeMs: options.resyncIntervalMs });
  // Recorded with each audience: a plan of another repository sharing the store leaves them alone.
  const repository =
    options.source.kind === 'git'
      ? recordedRepositoryOf(options.source.options.url)
      : await workTreeRepository(options.source.dir);
  const reconciler: Reconciler = new Reconciler({
    source,
    store: records ?? leaderStore,
    ...(records
      ? { forgetRecords: () => records.forget(), confirmRecords: (touched) => records.confirm(touched) }
      : {}),
    unwritable: () => writes.take(),
    ...(leadership
      ? {
          isLeader: () => leadership.role === 'leader',
          leadership: () => ({ lastError: leadership.lastError }),
        }
      : {}),
    client: shieldCalls(connection.client, { stop: stopping.signal, cutoff: cutoff.signal }),
    metrics,
    logger: options.logger,
    settings: {
      ...options.settings,
      ...(connection.bulkBatchSize === undefined ? {} : { bulkBatchSize: connection.bulkBatchSize }),
      // Only a directory is written by someone else while the controller reads it.
      ...(options.source.kind === 'dir' ? { writeSettleMs: options.source.debounceMs } : {}),
      ...(repository === undefined ? {} : { repository }),
    },
    intervalMs: options.intervalMs,
    resyncIntervalMs: options.resyncIntervalMs,
    refreshIntervalMs: options.refreshIntervalMs,
    requeueAfterMs: options.requeueAfterMs,
    backoff: options.backoff,
    signal: stopping.signal,
  });

  const secret = options.webhookSecret;
  const remoteHead = source.remoteHead?.bind(source);
  // A verified push, of the followed repository or of its new address (renamed, transferred).
  const syncPush = (): void => {
    reconciler.trigger('webhook');
    // A standby syncs only itself: the leader hears of the push through the store.
    if (leadership && leadership.role !== 'leader' && store.hintPush) {
      // Said once told: a hint that failed is no push passed.
      store.hintPush().then(
        () => log.info('webhook push passed to the leader'),
        (error: unknown) =>
          log.warn({ reason: (error as Error).message }, 'webhook push not passed to the leader'),
      );
    }
  };
  const webhook: WebhookTarget | undefined = secret
    ? {
        secret,
        branch: options.branch,
        repository: options.source.kind === 'git' ? repositoryPathOf(options.source.options.url) : undefined,
        onPush: syncPush,
        ...(remoteHead
          ? { onOtherRepository: otherRepositoryCheck(() => remoteHead(stopping.signal), syncPush, log) }
          : {}),
      }
    : undefined;
  let watcher: DirectoryWatcher | undefined;
  let server: DaemonHttpServer | undefined;
  let webhookServer: DaemonHttpServer | undefined;
  let listening = options.listen;
  try {
    if (options.source.kind === 'dir') {
      const dir = options.source.dir;
      // The state directory may sit inside the watched one (`--dir .`): its writes are not edits.
      const stateDir = options.state.kind === 'dir' ? options.state.dir : undefined;
      watcher = watchDirectory(
        dir,
        (changed) => {
          const edits = changed.filter(
            (file) => stateDir === undefined || !isInside(path.resolve(dir, file), stateDir),
          );
          if (edits.length === 0) return;
          log.info({ files: edits.length, first: edits[0] }, 'files changed');
          // The next sync looks at these paths only, and the pass reads only those that changed.
          if (source instanceof DirectorySource) source.noteChanged(edits);
          reconciler.trigger('watch');
        },
        {
          debounceMs: options.source.debounceMs,
          onError: (error) => {
            // Events may have been lost: the next sync rescans and the pass reads every manifest.
            if (source instanceof DirectorySource) source.invalidate();
            log.warn({ err: error.message }, 'directory watch error');
          },
          onRoot: (event) => {
            // Whatever happened in between was never reported: the next sync rescans everything.
            // A pass either way: gone, its sync says so on /status (source.lastError).
            if (source instanceof DirectorySource) source.invalidate();
            if (event === 'gone')
              log.warn({ dir }, 'the watched directory is gone: watching for it to come back');
            else log.info({ dir }, 'the watched directory is back: watching it again');
            reconciler.trigger('watch');
          },
        },
      );
      await watcher.ready;
    }
    const separate = options.webhookListen;
    server = await startHttpServer({
      host: options.listen.host,
      port: options.listen.port,
      status: reconciler,
      metrics: metrics.registry,
      logger: options.logger,
      authToken: options.httpToken,
      webhook: separate ? undefined : webhook,
    });
    if (separate && webhook) {
      listening = separate;
      webhookServer = await startHttpServer({ ...separate, webhook, logger: options.logger });
    }
  } catch (error) {
    await server?.close();
    await watcher?.close();
    await source.close();
    await connection.close();
    await store.close();
    throw listenError(error, listening, listening === options.listen ? '--listen' : '--webhook-listen');
  }
  const http = server;
  const webhookHttp = webhookServer;
  log.info(
    {
      url: http.url,
      source: options.source.kind,
      target: connection.target,
      mode: options.settings.dryRun ? 'dry-run' : 'apply',
      refreshIntervalMs: options.refreshIntervalMs,
      state: store.location,
      replicas: leadership ? 'leader election (PostgreSQL lock)' : 'single',
      webhook: secret !== undefined,
      webhookUrl: webhookHttp?.url,
      httpAuth: options.httpToken !== undefined,
    },
    'controller started',
  );
  reconciler.start();
  leadership?.start();
  // Pushes a standby verified (the Service hands a delivery to any ready replica).
  const pushes =
    leadership && secret && store.listenForPushes
      ? store.listenForPushes(
          () => {
            if (leadership.role !== 'leader') return;
            log.info('webhook push from another replica: sync triggered');
            reconciler.trigger('webhook');
          },
          (error) =>
            log.warn({ reason: (error as Error).message }, 'not listening for pushes of other replicas'),
          () => log.info('listening for pushes of other replicas again'),
        )
      : undefined;

  let stopped: Promise<boolean> | undefined;
  async function shutdown(reason: string): Promise<boolean> {
    // Timed on a clock NTP does not step: a wall clock stepped ahead during a clean stop
    // made it look overrun, and the process exit with 1.
    const started = performance.now();
    log.info({ reason, graceMs: options.shutdownGraceMs }, 'shutting down');
    stopping.abort();
    const timer = setTimeout(() => {
      log.warn({ reason }, 'grace period ending: cutting calls in flight short');
      cutoff.abort();
    }, callDeadline(options.shutdownGraceMs));
    try {
      await leadership?.stop();
      await reconciler.stop();
    } finally {
      clearTimeout(timer);
    }
    await watcher?.close();
    await source.close();
    await http.close();
    await webhookHttp?.close();
    await pushes?.close();
    // The connection first: it finishes writing learned readings to the store.
    await connection.close();
    await store.close();
    const ms = Math.round(performance.now() - started);
    log.info({ ms }, 'stopped');
    return ms <= options.shutdownGraceMs;
  }

  return {
    url: http.url,
    webhookUrl: webhookHttp?.url,
    reconciler,
    stop: (reason) => (stopped ??= shutdown(reason)),
    deposed,
  };
}
