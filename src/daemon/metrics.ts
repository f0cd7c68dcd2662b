import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The controller's metrics on a registry of its own (never prom-client's global one,
 * so tests and embedded uses do not collide). Label values are free strings; the
 * suggested ones are listed per metric so dashboards stay stable.
 */
export type DaemonMetrics = {
  registry: Registry;
  /** One observation per reconcile; `result`: success | failure | aborted. */
  reconcileDuration: Histogram<'result'>;
  /** Plan steps executed; `kind`: create | update | replace | run | delete | forget; `result`: ok | started | failed | blocked | deferred | requeued | skipped. */
  steps: Counter<'kind' | 'result'>;
  /** AEP API calls; `endpoint` is the operation (createAudience, getOperation, ...; never a URL with ids); `status` the HTTP code or `error`. */
  apiRequests: Counter<'endpoint' | 'status'>;
  /** Steps of the current pass not finished yet (waiting for the request budget or running). */
  queueDepth: Gauge;
  /** Times a request waited for the rate limiter or a 429 Retry-After; `reason`: budget | retry-after. */
  rateLimitWaits: Counter<'reason'>;
  /** Ingestion runs the daily budget still allows, per sandbox. */
  runBudgetRemaining: Gauge<'sandbox'>;
  /** Audiences the last refresh found drifted and not corrected; `kind`: deleted | changed | renamed | deactivated. */
  driftedAudiences: Gauge<'kind'>;
  /** Drift found by refreshes, per audience and refresh; `kind` as above. */
  driftDetected: Counter<'kind'>;
  /** Unix time (seconds) of the last successful refresh. */
  lastRefreshTimestamp: Gauge;
  /** AEP's clock minus the local one, in seconds, from the latest AEP answer; no sample before one (recordClockOffset). */
  aepClockOffset: Gauge;
  /** Sets `aepClockOffset`, exposing it from the first measurement on. */
  recordClockOffset(seconds: number): void;
  /** Unix time (seconds) of the last successful source sync. */
  lastSyncTimestamp: Gauge;
  /** Consecutive failed source syncs, 0 once one succeeds (as `source.failures` on /status). */
  syncFailures: Gauge;
  /** Always 1; the `revision` label carries the revision last synced successfully. */
  revisionInfo: Gauge<'revision'>;
  /** 1 while this replica leads (always with a directory store), 0 on a standby. */
  leader: Gauge;
  /** Always 1; the `role` label says leader or standby. */
  roleInfo: Gauge<'role'>;
  /** Sets `leader` and `roleInfo`. */
  setRole(role: 'leader' | 'standby'): void;
  /** Records a successful sync: sets the timestamp and replaces the revision series. */
  recordSync(revision: string, at?: Date): void;
};

export type MetricsOptions = {
  /** Prefix of every audiencectl metric. Default `audiencectl_`. */
  prefix?: string;
  /** Also collect process and Node.js metrics (CPU, memory, event loop). Default true. */
  defaultMetrics?: boolean;
};

export function createMetrics(options: MetricsOptions = {}): DaemonMetrics {
  const prefix = options.prefix ?? 'audiencectl_';
  const registry = new Registry();
  const registers = [registry];
  // The event-loop delay monitor wakes the process at this interval; prom-client's default
  // of 10 ms alone costs an idle controller most of its CPU (about 0.75% of a core).
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });

  const revisionInfo = new Gauge({
    name: `${prefix}source_revision_info`,
    help: 'Revision of the source last synced successfully (value is always 1).',
    labelNames: ['revision'] as const,
    registers,
  });
  const lastSyncTimestamp = new Gauge({
    name: `${prefix}last_successful_sync_timestamp_seconds`,
    help: 'Unix time of the last successful source sync.',
    registers,
  });
  // An outage shows before the last sync's age grows past an alert's threshold, and whether the
  // syncs since fail (its retries are on the backoff, /status source.nextAttemptAt).
  const syncFailures = new Gauge({
    name: `${prefix}source_sync_failures`,
    help: 'Consecutive failed source syncs (git fetch, directory scan); 0 once one succeeds.',
    registers,
  });

  // Registered at the first measurement: a gauge without labels reads 0 until set, and 0 says
  // "AEP's clock and ours agree" before anything was measured (a starting controller, a dry run
  // without credentials), where /status shows no clock at all (review 38s, S-4).
  const clockOffsetName = `${prefix}aep_clock_offset_seconds`;
  const aepClockOffset = new Gauge({
    name: clockOffsetName,
    help: "AEP's clock minus the local clock, in seconds (its Date header); beyond 300, runs are timed in AEP's clock.",
    registers: [],
  });

  const leader = new Gauge({
    name: `${prefix}leader`,
    help: 'Whether this replica leads: 1 leader, 0 standby (replicas sharing a PostgreSQL state).',
    registers,
  });
  const roleInfo = new Gauge({
    name: `${prefix}role_info`,
    help: 'Role of this replica (value is always 1): leader or standby.',
    labelNames: ['role'] as const,
    registers,
  });
  // The gauges only a leader's passes set: a standby has none of their series.
  const queueDepth = new Gauge({
    name: `${prefix}queue_depth`,
    help: 'Steps of the current reconcile pass not finished yet.',
    registers,
  });
  const runBudgetRemaining = new Gauge({
    name: `${prefix}run_budget_remaining`,
    help: 'Ingestion runs still allowed today, per sandbox.',
    labelNames: ['sandbox'] as const,
    registers,
  });
  const driftedAudiences = new Gauge({
    name: `${prefix}drifted_audiences`,
    help: 'Audiences the last refresh found changed outside audiencectl and not corrected, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  function setRole(role: 'leader' | 'standby'): void {
    leader.set(role === 'leader' ? 1 : 0);
    roleInfo.reset();
    roleInfo.set({ role }, 1);
    if (role === 'leader') return;
    // A leader deposed kept the values of its last pass while it said standby: a dashboard
    // summing the drift over the pods counted it twice (the new leader's and its own).
    queueDepth.set(0);
    runBudgetRemaining.reset();
    driftedAudiences.reset();
  }
  setRole('leader');

  return {
    registry,
    leader,
    roleInfo,
    setRole,
    reconcileDuration: new Histogram({
      name: `${prefix}reconcile_duration_seconds`,
      help: 'Duration of a reconcile pass: load, plan and apply.',
      labelNames: ['result'] as const,
      // Passes range from an in-sync no-op (ms) to large applies behind rate limits (minutes).
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    steps: new Counter({
      name: `${prefix}steps_total`,
      help: 'Plan steps executed, by kind and result.',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
    apiRequests: new Counter({
      name: `${prefix}api_requests_total`,
      help: 'AEP API requests, by endpoint template and HTTP status.',
      labelNames: ['endpoint', 'status'] as const,
      registers,
    }),
    queueDepth,
    rateLimitWaits: new Counter({
      name: `${prefix}rate_limit_waits_total`,
      help: 'Requests delayed by the request budget or a 429 response.',
      labelNames: ['reason'] as const,
      registers,
    }),
    runBudgetRemaining,
    driftedAudiences,
    driftDetected: new Counter({
      name: `${prefix}drift_detected_total`,
      help: 'Audiences found changed outside audiencectl by a refresh, by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    lastRefreshTimestamp: new Gauge({
      name: `${prefix}last_successful_refresh_timestamp_seconds`,
      help: 'Unix time of the last successful refresh (audiences read back from AEP).',
      registers,
    }),
    aepClockOffset,
    recordClockOffset(seconds: number) {
      if (registry.getSingleMetric(clockOffsetName) === undefined) registry.registerMetric(aepClockOffset);
      aepClockOffset.set(seconds);
    },
    lastSyncTimestamp,
    syncFailures,
    revisionInfo,
    recordSync(revision: string, at: Date = new Date()) {
      revisionInfo.reset();
      revisionInfo.set({ revision }, 1);
      lastSyncTimestamp.set(at.getTime() / 1000);
      syncFailures.set(0);
    },
  };
}
