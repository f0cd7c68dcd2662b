import { elapsedClock, systemClock } from '../apply/clock.js';
import type { Clock } from '../apply/types.js';
import type { AepClient } from '../aep/types.js';
import type { Logger } from '../log.js';
import type { Source, SourceRevision } from '../source/types.js';
import type { StateStore } from '../state/store.js';
import { AudienceTracker } from './audiences.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { DesiredCache } from './desired-cache.js';
import { HeldUnread } from './held-unread.js';
import { passFailureWaitMs } from './pass-wait.js';
import { FULL_READ_REASONS, readDesired, syncsFully } from './read-desired.js';
import type { DaemonMetrics } from './metrics.js';
import { RefreshSchedule } from './refresh-schedule.js';
import { standingFault } from './standing-fault.js';
import { reconcileRevision, type PassDeps, type PassResult, type ReconcileSettings } from './pass.js';
import { errorInfo, StatusBoard } from './status-board.js';
import { Timers } from './timers.js';
import { CoalescingTrigger, FORCING_REASONS, NEWS_REASONS, type TriggerReason } from './triggers.js';
import type { DaemonStatusProvider, Readiness, StatusSnapshot } from './types.js';

export type ReconcilerOptions = {
  source: Source;
  store: StateStore;
  /** Gated by `signal` (see shieldCalls): on shutdown calls in flight finish, queued ones are not sent. */
  client: AepClient;
  /** Default the system clock. */
  clock?: Clock;
  metrics: DaemonMetrics;
  logger: Logger;
  settings: ReconcileSettings;
  /** Sync (git fetch, directory scan) this often; a new revision is reconciled. Default 60 000 ms. */
  intervalMs: number;
  /** Reconcile this often even without a new revision, reading every manifest. Default 600 000 ms. */
  resyncIntervalMs: number;
  /**
   * Read the recorded audiences back from the service this often (the first pass does too)
   * and correct drift (dry-run: report it). 0 or absent: never.
   */
  refreshIntervalMs?: number;
  /** A step waiting for an ingestion run in progress is tried again this much later. Default 60 000 ms. */
  requeueAfterMs: number;
  /** Backoff of failing audiences, and of failing passes. */
  backoff: BackoffPolicy;
  /** Aborted on shutdown: no new step starts, no new pass starts. */
  signal: AbortSignal;
  /**
   * Whether this replica may reconcile (replicas sharing a PostgreSQL store: only the
   * leader). A standby's passes only sync the source. Default: always.
   */
  isLeader?: () => boolean;
  /** With an election: what /status shows of it (StatusSnapshot.leadership). */
  leadership?: () => NonNullable<StatusSnapshot['leadership']>;
  /**
   * Drops the copy of the recorded state kept between passes (cachedReads), called as a
   * pass that reads every manifest again (startup, resync) starts: it reads every record
   * again too. Default: nothing is kept.
   */
  forgetRecords?: () => void;
  /** Whether records a pass's steps touch moved since they were kept (PassDeps). */
  confirmRecords?: PassDeps['confirmRecords'];
  /** A write of the store that failed as the store takes none (PassDeps). */
  unwritable?: () => Error | undefined;
  /** The wall clock file modification times are compared with (see PassDeps). Default Date.now. */
  fileClock?: () => number;
};

/**
 * The reconcile loop. Triggers (poll, watch, webhook, resync, retry, requeue) go
 * through one CoalescingTrigger, so passes never overlap and a burst of triggers
 * during a pass costs exactly one more pass. A pass syncs the source, and reconciles
 * when the revision is new or the trigger forces it (see FORCING_REASONS).
 */
export class Reconciler implements DaemonStatusProvider {
  readonly board: StatusBoard;
  readonly #options: ReconcilerOptions;
  readonly #clock: Clock;
  /** Waits, durations and the alarms' order: the clock's monotonic time, or its `now` if it has none. */
  readonly #elapsed: () => number;
  readonly #log: Logger;
  readonly #trigger: CoalescingTrigger;
  readonly #timers: Timers;
  readonly #deps: PassDeps;
  /** The last revision synced successfully: reconciled again if a forced pass cannot sync. */
  #synced: SourceRevision | undefined;
  /** The revision the last completed pass reconciled. */
  #reconciled: string | undefined;
  #passFailures = 0;
  /** Consecutive failed syncs the backoff retries (news, or none synced yet): its exponent. */
  #syncFailures = 0;
  /** Consecutive failed syncs, whatever asked for them (/status source.failures). */
  #failedSyncs = 0;
  readonly #refresh: RefreshSchedule;
  readonly #desired: DesiredCache;
  readonly #heldUnread = new HeldUnread();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#elapsed = elapsedClock(this.#clock);
    this.#timers = new Timers(this.#elapsed);
    this.#log = options.logger.child({ component: 'reconciler' });
    this.#trigger = new CoalescingTrigger(
      (reasons) => this.#pass(reasons),
      (error) => this.#log.error({ err: errorInfo(error).message }, 'reconcile loop error'),
    );
    this.board = new StatusBoard(
      options.settings.dryRun ? 'dry-run' : 'apply',
      () => ({ running: this.#trigger.running, queued: this.#trigger.queued }),
      () => (this.#leads() ? 'leader' : 'standby'),
      options.leadership,
    );
    this.#deps = {
      store: options.store,
      ...(options.confirmRecords ? { confirmRecords: options.confirmRecords } : {}),
      ...(options.unwritable ? { unwritable: options.unwritable } : {}),
      client: options.client,
      clock: this.#clock,
      metrics: options.metrics,
      board: this.board,
      tracker: new AudienceTracker(options.backoff, this.#elapsed),
      signal: options.signal,
      settings: options.settings,
      ...(options.fileClock ? { fileClock: options.fileClock } : {}),
      ...(options.source.relations
        ? {
            relations: (head: string, commits: readonly string[]) =>
              options.source.relations!(head, commits, options.signal),
          }
        : {}),
    };
    this.#desired = new DesiredCache(options.settings);
    this.#refresh = new RefreshSchedule(options.refreshIntervalMs ?? 0, options.backoff, this.#elapsed);
    this.board.refreshEvery(this.#refresh.intervalMs);
  }

  /** Arms the poll and resync timers and starts the first pass. */
  start(): void {
    this.#timers.every('poll', this.#options.intervalMs, () => this.trigger('poll'));
    this.#timers.every('resync', this.#options.resyncIntervalMs, () => this.trigger('resync'));
    const refreshMs = this.#refresh.intervalMs;
    if (refreshMs > 0) this.#timers.every('refresh', refreshMs, () => this.trigger('refresh'));
    this.trigger('startup');
  }

  trigger(reason: TriggerReason): void {
    if (this.#options.signal.aborted) return;
    this.#log.debug({ reason, running: this.#trigger.running }, 'reconcile requested');
    this.#trigger.request(reason);
  }

  /** Resolves once no pass runs and none is waiting (tests, benchmarks). */
  settled(): Promise<void> {
    return this.#trigger.settled();
  }

  /** Stops the timers and waits for the current pass (its steps see the aborted signal). */
  async stop(): Promise<void> {
    this.#timers.close();
    await this.#trigger.stop();
  }

  /** The epoch ms of the next poll, if polls are armed (a timer never rings early: rounded up). */
  #nextPoll(): number | undefined {
    const inMs = this.#timers.nextTickIn('poll');
    return inMs === undefined ? undefined : Math.ceil(this.#clock.now() + inMs);
  }

  #fileNow(): number {
    return (this.#options.fileClock ?? Date.now)();
  }

  #leads(): boolean {
    return this.#options.isLeader?.() ?? true;
  }

  readiness(): Readiness {
    return this.board.readiness();
  }

  status(): StatusSnapshot {
    return this.board.status();
  }

  planMarkdown(): string | undefined {
    return this.board.planMarkdown();
  }

  async #sync(reasons: ReadonlySet<TriggerReason>): Promise<SourceRevision | undefined> {
    this.board.syncStarted();
    try {
      const full = syncsFully(reasons, this.#options.settings);
      const revision = await this.#options.source.sync(this.#options.signal, { full });
      const at = new Date(this.#clock.now());
      this.board.syncSucceeded(revision.revision, at);
      this.#options.metrics.recordSync(revision.revision, at);
      this.#synced = revision;
      this.#syncFailures = 0;
      this.#failedSyncs = 0;
      // The news a failed sync was to be retried for is in this one.
      this.#timers.cancel('sync');
      return revision;
    } catch (error) {
      const now = this.#clock.now();
      const info = errorInfo(error, new Date(now));
      this.#failedSyncs += 1;
      this.#options.metrics.syncFailures.set(this.#failedSyncs);
      if (this.#options.signal.aborted) {
        this.board.syncFailed(info, this.#failedSyncs, undefined);
        return undefined;
      }
      // Not ready yet, told the source moved (a push, an edit), or asking whether it did (a
      // poll): try again on the backoff schedule rather than a whole interval later, until a
      // sync succeeds.
      const news = [...reasons].filter((reason) => NEWS_REASONS.has(reason));
      const alarm = this.#synced ? 'sync' : 'retry';
      if (!this.#synced || news.length > 0) {
        this.#syncFailures += 1;
        const at = now + backoffDelay(this.#syncFailures, this.#options.backoff);
        if (!this.#synced) this.#timers.at('retry', at, () => this.trigger('retry'), now);
        // Asked again as it was asked: a pass that reconciles only if the revision is new (and a
        // directory's sync looks at the paths its watcher reported, kept by the failed sync).
        else this.#timers.at('sync', at, () => news.forEach((reason) => this.trigger(reason)), now);
      }
      // The alarm keeps the earliest time asked for: one armed by an earlier failure rings first.
      // None armed (a resync or retry pass's sync, once synced): the next poll syncs.
      const retryAt = this.#timers.alarmAt(alarm) ?? this.#nextPoll();
      this.board.syncFailed(info, this.#failedSyncs, retryAt === undefined ? undefined : new Date(retryAt));
      // The one line of a failed sync (the source logs none of its own).
      this.#log.warn(
        {
          code: info.code,
          err: info.message,
          failures: this.#failedSyncs,
          ...(retryAt === undefined ? {} : { nextAttemptAt: new Date(retryAt).toISOString() }),
        },
        'sync failed',
      );
      return undefined;
    }
  }

  async #pass(reasons: ReadonlySet<TriggerReason>): Promise<void> {
    if (this.#options.signal.aborted) return;
    const forced = [...reasons].some((reason) => FORCING_REASONS.has(reason));
    // File times are the kernel's wall clock (see writing.ts), not the injected clock.
    const readSince = this.#fileNow();
    // A forced pass whose sync fails reconciles the last good revision (its tree is kept),
    // unconfirmed: it must not undo a newer commit someone else applied meanwhile (a replica
    // that led while this one stood by and synced, an `apply`).
    const synced = await this.#sync(reasons);
    const revision = synced ?? (forced ? this.#synced : undefined);
    if (!revision || this.#options.signal.aborted) return;
    // A standby keeps its checkout fresh, so that it can lead at once, and writes nothing.
    if (!this.#leads()) return;
    // Unless the last pass read files written while it read them (read-settled.ts): the tree is
    // that revision again, but what the pass planned from was not.
    if (!forced && revision.revision === this.#reconciled && this.#desired.unsettled.length === 0) return;

    const log = this.#options.logger.child({ component: 'reconciler', revision: revision.revision });
    const started = this.#clock.now();
    // The duration (metric, log) is not the wall clock's difference: NTP stepping it during
    // the pass made it negative, or an hour long.
    const startedMono = this.#elapsed();
    this.board.passStarted(new Date(started));
    log.info({ reasons: [...reasons].sort() }, 'reconcile started');
    let refresh = this.#refresh.due(started);
    // The safety net covers the records too: by its age alone, a copy read just after the
    // resync timer was armed was still young at its tick, and a record edited by hand went
    // unseen for up to two intervals.
    if ([...reasons].some((reason) => FULL_READ_REASONS.has(reason))) this.#options.forgetRecords?.();
    try {
      const desired = await readDesired(this.#desired, revision, reasons, this.#options, log);
      if (!refresh && this.#refresh.intervalMs > 0 && this.#heldUnread.returned(desired)) {
        log.info('a manifest held at the last refresh loads again: reading the audiences back');
        refresh = true;
      }
      const unsettled = this.#desired.unsettled;
      const pass = {
        ...revision,
        readSince,
        ...(synced ? {} : { unconfirmed: true }),
        ...(unsettled.length > 0 ? { unsettled } : {}),
      };
      const result = await reconcileRevision(pass, desired, this.#deps, log, refresh);
      this.#refreshOutcome(result);
      if (result.refreshed !== undefined) this.#heldUnread.refreshed(result.plan);
      this.#reconciled = revision.revision;
      this.#passFailures = 0;
      this.#finished(this.#options.signal.aborted ? 'aborted' : 'success', startedMono, log, { result });
      this.#schedule(result);
    } catch (error) {
      const aborted = this.#options.signal.aborted;
      this.#finished(aborted ? 'aborted' : 'failure', startedMono, log, { error });
      if (!aborted) {
        this.#passFailures += 1;
        const now = this.#clock.now();
        const backoffMs = backoffDelay(this.#passFailures, this.#options.backoff);
        // Failed on a wait the service asked of a sandbox (or IMS of a token): not tried again before it is over.
        const asked = passFailureWaitMs(error, now, (sandbox) => this.#deps.client.askedWait?.(sandbox));
        const at = now + Math.max(backoffMs, asked?.leftMs ?? 0);
        if (asked !== undefined && asked.leftMs > backoffMs)
          log.warn(
            {
              ...(asked.asker === 'AEP' ? { sandbox: asked.sandbox } : {}),
              nextAttemptAt: new Date(at).toISOString(),
            },
            `${asked.asker} asked for a wait longer than retry.maxRetryAfterMs; the next pass waits for it`,
          );
        this.#timers.at('retry', at, () => this.trigger('retry'), now);
      }
    }
  }

  #finished(
    outcome: 'success' | 'failure' | 'aborted',
    startedMono: number,
    log: Logger,
    details: { result?: PassResult; error?: unknown },
  ): void {
    const now = this.#clock.now();
    const seconds = (this.#elapsed() - startedMono) / 1000;
    this.#options.metrics.reconcileDuration.observe({ result: outcome }, seconds);
    const error = details.error === undefined ? undefined : errorInfo(details.error, new Date(now));
    this.board.passFinished(outcome, new Date(now), {
      ...(error ? { error } : {}),
      ...(details.result && this.#reconciled ? { revision: this.#reconciled } : {}),
      results: details.result?.results,
    });
    if (outcome !== 'aborted') {
      const fault = error && standingFault(details.error);
      this.board.passChecked(error && fault ? { why: fault, error } : null);
    }
    if (error) {
      log.error({ code: error.code, err: error.message, ms: Math.round(seconds * 1000) }, 'reconcile failed');
      return;
    }
    const status = this.board.status();
    const counts: Record<string, number> = {};
    for (const result of details.result?.results ?? [])
      counts[result.status] = (counts[result.status] ?? 0) + 1;
    log.info(
      { result: outcome, plan: status.plan?.summary, steps: counts, ms: Math.round(seconds * 1000) },
      'reconcile finished',
    );
  }

  /**
   * A refresh that failed is tried again on the backoff schedule; one that left drift it could
   * correct uncorrected is read again by the pass that retries the failed step (its backoff due).
   */
  #refreshOutcome(result: PassResult): void {
    if (result.refreshed === undefined) return;
    const now = this.#clock.now();
    const retryAt = this.#refresh.finished(result.refreshed, now, result.refreshWaitMs);
    // At the retry of the correction: the passes before it would read back for nothing.
    if (result.readAgain) this.#refresh.again(this.#deps.tracker.backoff.nextDue(now) ?? now);
    if (retryAt !== undefined) this.#timers.at('retry', retryAt, () => this.trigger('retry'), now);
  }

  /**
   * Arms the alarms a pass asks for: the next backoff expiry, a requeue for runs in progress,
   * and a pass once files read mid-write are quiet.
   */
  #schedule(result: PassResult): void {
    const now = this.#clock.now();
    const due = this.#deps.tracker.backoff.nextDue(now);
    // A little after the expiry, so the retried pass does not find it still holding.
    if (due !== undefined) this.#timers.at('retry', due + 10, () => this.trigger('retry'), now);
    if (result.requeue) {
      this.#timers.at('requeue', now + this.#options.requeueAfterMs, () => this.trigger('requeue'), now);
    }
    // Removals held while their files were written: settled once those are quiet, not at the resync.
    if (result.quietAt !== undefined) {
      const wall = this.#fileNow();
      this.#timers.at(
        'settle',
        now + Math.max(0, result.quietAt - wall) + 10,
        () => this.trigger('settle'),
        now,
      );
    }
  }
}
