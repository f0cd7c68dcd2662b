import { setMaxListeners } from 'node:events';
import path from 'node:path';
import type { AepClient } from '../aep/types.js';
import type { AepClientExtras } from '../config.js';
import { UsageError } from '../errors.js';
import { componentLogger, type Logger } from '../log.js';
import { DirectorySource } from '../source/dir-source.js';
import { watchDirectory, type DirectoryWatcher } from '../source/dir-watch.js';
import { createGitSource } from '../source/git-source.js';
import type { GitSourceInput } from '../source/git-options.js';
import type { Source } from '../source/types.js';
import type { StateLocation } from '../state/location.js';
import { openStateStore } from '../state/open.js';
import type { BackoffPolicy } from './backoff.js';
import { cachedReads } from './cached-reads.js';
import { shieldCalls } from './call-shield.js';
import { startHttpServer, type DaemonHttpServer } from './http-server.js';
import { clientHooks } from './instruments.js';
import { createMetrics } from './metrics.js';
import type { ReconcileSettings } from './pass.js';
import { Reconciler } from './reconciler.js';
import { Leadership, leaderView } from './leadership.js';
import type { WebhookTarget } from './types.js';

export type ControllerSource =
  | { kind: 'git'; options: GitSourceInput }
  /** A local directory, watched (development). */
  | { kind: 'dir'; dir: string; debounceMs: number };

/** An AEP client and how to let it go (the embedded emulator closes with it). */
export type ControllerConnection = {
  client: AepClient;
  close(): Promise<void>;
  target: string;
  /** Ids per Audiences API bulk-get (`api.bulkBatchSize`), when configured. */
  bulkBatchSize?: number;
};

export type ControllerOptions = {
  source: ControllerSource;
  /** Only pushes to this branch trigger a sync through the webhook. */
  branch: string;
  /** HMAC secret of POST /webhook; without it there is no webhook (404). */
  webhookSecret: string | undefined;
  listen: { host: string; port: number };
  /**
   * Serve POST /webhook on this address instead, alone, so only it need be exposed;
   * the main listener then has no /webhook. Needs `webhookSecret`.
   */
  webhookListen?: { host: string; port: number } | undefined;
  /** When set, /status, /plan and /metrics need `Authorization: Bearer <token>`. */
  httpToken?: string | undefined;
  /** The state store: a directory, or PostgreSQL (then replicas elect a leader through its lock). */
  state: StateLocation;
  /** `--state-password-file`. */
  statePasswordFile?: string | undefined;
  /** Builds the AEP client with the metrics hooks. */
  connect: (extras: AepClientExtras) => Promise<ControllerConnection>;
  logger: Logger;
  settings: ReconcileSettings;
  intervalMs: number;
  resyncIntervalMs: number;
  /** Read the recorded audiences back from AEP this often, and correct drift; 0 never. */
  refreshIntervalMs: number;
  requeueAfterMs: number;
  backoff: BackoffPolicy;
  /** Time from stop() to everything closed; calls in flight are cut short before it ends. Default 25 000 ms. */
  shutdownGraceMs: number;
  /** How often a standby replica tries to become the leader (PostgreSQL store). Default 1 000 ms. */
  electionPollMs?: number;
};

export type RunningController = {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Where the webhook listener listens, with `webhookListen`. */
  webhookUrl: string | undefined;
  reconciler: Reconciler;
  /**
   * Stops taking new steps, lets calls in flight finish (cut short shortly before the
   * grace period ends), releases the state lock and closes everything. Resolves true
   * when that took less than the grace period. Calling it again returns the same promise.
   */
  stop(reason: string): Promise<boolean>;
  /**
   * Resolves if this replica led and lost the state lock (its database connection
   * failed): it must stop, as a Kubernetes controller does when it loses its lease,
   * and come back as a standby. Never resolves with a directory store.
   */
  deposed: Promise<Error>;
};

function createSource(options: ControllerOptions, logger: Logger): Source {
  if (options.source.kind === 'git') return createGitSource(options.source.options, { logger });
  return new DirectorySource(options.source.dir);
}

/** True when `file` is `dir` or inside it. */
function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A port in use is the user's to fix, not a crash. */
/** Errors of binding an address a user can cause: a busy port, a host that is not this machine's or does not resolve. */
const LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL']);

function listenError(error: unknown, listen: { host: string; port: number }): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !LISTEN_CODES.has(code)) return error;
  const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `${code}: no such host` : code;
  return new UsageError('LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port} (${why})`, {
    cause: error,
  });
}

/** Calls in flight get the grace period minus this margin (at most 5 s) to finish. */
function callDeadline(graceMs: number): number {
  return Math.max(0, graceMs - Math.min(5_000, graceMs / 5));
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  if (options.webhookListen && !options.webhookSecret)
    throw new UsageError(
      'WEBHOOK_LISTEN',
      '--webhook-listen needs a webhook secret (AUDIENCECTL_WEBHOOK_SECRET)',
    );
  const log = componentLogger(options.logger, 'controller');
  const metrics = createMetrics();
  const stopping = new AbortController();
  const cutoff = new AbortController();
  // Every step, poll and request of a pass listens to these.
  setMaxListeners(0, stopping.signal);
  setMaxListeners(0, cutoff.signal);

  const source = createSource(options, options.logger);
  const store = await openStateStore(options.state, { passwordFile: options.statePasswordFile });
  const connection = await options.connect({ logger: options.logger, ...clientHooks(metrics) });
  let onDeposed: (error: Error) => void = () => undefined;
  const deposed = new Promise<Error>((resolve) => {
    onDeposed = resolve;
  });
  // Replicas sharing a PostgreSQL store elect a leader through its lock; only the leader reconciles.
  const leadership = store.shared
    ? new Leadership({
        store,
        logger: log,
        ...(options.electionPollMs === undefined ? {} : { pollMs: options.electionPollMs }),
        onElected: () => {
          metrics.setRole('leader');
          reconciler.trigger('startup');
        },
        onDeposed: (error) => {
          metrics.setRole('standby');
          onDeposed(error);
        },
      })
    : undefined;
  if (leadership) metrics.setRole('standby');
  const leaderStore = leadership ? leaderView(store, leadership) : store;
  // Records are read again only when the serial moved (or once a resync interval); not with --full-reads.
  const passStore = options.settings.fullReads
    ? leaderStore
    : cachedReads(leaderStore, { maxAgeMs: options.resyncIntervalMs });
  const reconciler: Reconciler = new Reconciler({
    source,
    store: passStore,
    ...(leadership ? { isLeader: () => leadership.role === 'leader' } : {}),
    client: shieldCalls(connection.client, { stop: stopping.signal, cutoff: cutoff.signal }),
    metrics,
    logger: options.logger,
    settings: {
      ...options.settings,
      ...(connection.bulkBatchSize === undefined ? {} : { bulkBatchSize: connection.bulkBatchSize }),
    },
    intervalMs: options.intervalMs,
    resyncIntervalMs: options.resyncIntervalMs,
    refreshIntervalMs: options.refreshIntervalMs,
    requeueAfterMs: options.requeueAfterMs,
    backoff: options.backoff,
    signal: stopping.signal,
  });

  const secret = options.webhookSecret;
  const webhook: WebhookTarget | undefined = secret
    ? { secret, branch: options.branch, onPush: () => reconciler.trigger('webhook') }
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
    await store.close();
    await connection.close();
    throw listenError(error, listening);
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

  let stopped: Promise<boolean> | undefined;
  async function shutdown(reason: string): Promise<boolean> {
    const started = Date.now();
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
    await store.close();
    await webhookHttp?.close();
    await connection.close();
    const ms = Date.now() - started;
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
