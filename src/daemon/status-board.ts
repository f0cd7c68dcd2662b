import { redactText } from '../log.js';
import { summarise } from '../plan/plan.js';
import type { StepResult } from '../apply/types.js';
import type { PlanMarks } from '../plan/render/markdown.js';
import type { Plan } from '../plan/schema.js';
import { failedBeforePlanning } from './failed-before-planning.js';
import { interruptedAudiences } from './interrupted-audiences.js';
import { standingFault } from './standing-fault.js';
import { appliedStage, interruptedStage, plannedStage, planMarks, type Unplanned } from './plan-outcome.js';
import type {
  AudienceStatus,
  ClockStatus,
  DaemonStatusProvider,
  DriftInfo,
  DiagnosticInfo,
  ErrorInfo,
  PlanStage,
  Readiness,
  RefreshStatus,
  StatusSnapshot,
} from './types.js';

type ReconcileStatus = StatusSnapshot['reconcile'];

/** An error as /status shows it: its stable code when it has one, secrets scrubbed. */
export function errorInfo(error: unknown, at: Date = new Date()): ErrorInfo {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: typeof code === 'string' && code !== '' ? code : 'INTERNAL_ERROR',
    message: redactText(message),
    at: at.toISOString(),
  };
}

/** Step counts by kind, plus blocked and deferred (a backoff hold counts as deferred), and held audiences. */
export function summarisePlan(plan: Plan): Record<string, number> {
  return { ...summarise(plan.steps), held: plan.held.length };
}

function diagnosticsOf(plan: Plan): DiagnosticInfo[] {
  return plan.diagnostics.map((d) => ({
    file: d.file,
    ...(d.line > 0 ? { line: d.line, column: d.column } : {}),
    rule: d.rule,
    message: d.message,
    severity: d.severity,
  }));
}

/**
 * What /status, /readyz and /plan serve: written by the reconcile loop after each
 * step of a pass, read by the HTTP server on every request (so reads build nothing big).
 */
export class StatusBoard implements DaemonStatusProvider {
  readonly #mode: StatusSnapshot['mode'];
  readonly #queue: () => { running: boolean; queued: string[] };
  #source: Omit<StatusSnapshot['source'], 'retrying'> = {
    revision: null,
    lastSyncAt: null,
    lastError: null,
    failures: 0,
    nextAttemptAt: null,
  };
  /** A sync is under way (syncStarted), its outcome not in yet. */
  #syncing = false;
  #reconcile: Omit<ReconcileStatus, 'running' | 'queued'> = {
    lastStartedAt: null,
    lastFinishedAt: null,
    lastResult: null,
    lastError: null,
    lastRevision: null,
  };
  #plan: StatusSnapshot['plan'] = null;
  #markdown: string | undefined;
  /** The last plan, to mark its steps with their outcomes once its pass ends (plan-outcome.ts). */
  #published:
    | {
        plan: Plan;
        render: (marks: PlanMarks) => string;
        stage: PlanStage;
        /** The audiences as the records the plan was made from say (planned). */
        recorded: readonly AudienceStatus[];
      }
    | undefined;
  /** What became of the last plan's steps so far, by step id, as its pass finished them. */
  #outcomes = new Map<string, StepResult>();
  /** The last pass failed before it published a plan: the one shown is an earlier pass's. */
  #unplanned: Unplanned | undefined;
  /** The pass running (or the last) published a plan (planned). */
  #plannedThisPass = false;
  #diagnostics: DiagnosticInfo[] = [];
  #audiences: AudienceStatus[] = [];
  /** The keys of the drift the last refresh found (not kept from an earlier one). */
  #foundNow = new Set<string>();
  /** The audience id each standing drift is about, by `sandbox/key` (driftedAudiences). */
  #driftedIds = new Map<string, string | undefined>();
  #synced = false;
  /** The last finished pass's error when it needs a person (standingFault): why, and the error. */
  #fault: { why: string; error: ErrorInfo } | null = null;
  #refresh: RefreshStatus = { intervalMs: 0, lastAt: null, lastError: null, drifted: [] };
  #clock: ClockStatus | undefined;
  readonly #role: () => StatusSnapshot['role'];
  readonly #leadership: (() => NonNullable<StatusSnapshot['leadership']>) | undefined;

  constructor(
    mode: StatusSnapshot['mode'],
    queue: () => { running: boolean; queued: string[] },
    role: () => StatusSnapshot['role'] = () => 'leader',
    leadership?: () => NonNullable<StatusSnapshot['leadership']>,
  ) {
    this.#mode = mode;
    this.#queue = queue;
    this.#role = role;
    this.#leadership = leadership;
  }

  readiness(): Readiness {
    // A replica whose schema's lock another controller's leader holds (LEADER_OTHER_SOURCE) stays
    // ready: a rollout that changes the controller's source (git.path) starts such pods while an
    // old one leads, and removes the old ones only once new ones are ready. Not ready, neither
    // would ever go. It says why on /status and in its log.
    // Credentials IMS refuses, a state store that cannot be read: no pass mends them, every one
    // fails. Ready, the pod would pass `helm test` and show 1/1 while nothing is ever applied.
    // An outage (IMS unreachable) is not: the next pass may get through. Ready again once a
    // pass ends without it (the failed pass is retried on the backoff).
    if (this.#synced && this.#fault) return notReady(this.#fault.why, this.#fault.error);
    // On a PostgreSQL store the lock is taken by the election, not by a pass: a store that takes
    // no writes (a read-only role, a hot standby) refuses it there, and no pass ever runs to say
    // so. Standing by for ever on it, the controller was shown ready while it applied nothing.
    const campaign = this.#role() === 'leader' ? null : (this.#leadership?.().lastError ?? null);
    const why = campaign && standingFault(campaign);
    if (campaign && why) return notReady(why, campaign);
    if (this.#synced) return { ready: true };
    const error = this.#source.lastError;
    if (error) return notReady('no successful sync yet', error);
    const waiting = 'waiting for the first successful sync';
    return { ready: false, reason: waiting, brief: waiting };
  }

  status(): StatusSnapshot {
    return {
      mode: this.#mode,
      role: this.#role(),
      ...(this.#leadership ? { leadership: this.#leadership() } : {}),
      readiness: shownReadiness(this.readiness()),
      source: this.#sourceNow(),
      reconcile: { ...this.#reconcile, ...this.#queue() },
      plan: this.#plan,
      diagnostics: this.#diagnostics,
      audiences: this.#audiences,
      audiencesUnknown: this.#published === undefined ? failedBeforePlanning(this.#reconcile) : null,
      refresh: this.#refresh,
      ...(this.#clock ? { clock: this.#clock } : {}),
    };
  }

  planMarkdown(): string | undefined {
    return this.#markdown;
  }

  /**
   * The source as now: after a failed sync, another under way or asked for (every pass syncs
   * first) is the attempt the failure's nextAttemptAt named, whose time may be past: `retrying`,
   * and no time, until its outcome.
   */
  #sourceNow(): StatusSnapshot['source'] {
    const source = this.#source;
    const retrying = source.failures > 0 && (this.#syncing || this.#queue().queued.length > 0);
    return { ...source, retrying, ...(retrying ? { nextAttemptAt: null } : {}) };
  }

  get ready(): boolean {
    return this.#synced;
  }

  /** A pass's sync started. */
  syncStarted(): void {
    this.#syncing = true;
  }

  syncSucceeded(revision: string, at: Date): void {
    this.#synced = true;
    this.#syncing = false;
    this.#source = {
      revision,
      lastSyncAt: at.toISOString(),
      lastError: null,
      failures: 0,
      nextAttemptAt: null,
    };
  }

  /**
   * The `failures`-th sync in a row failed; `retryAt`: when it is tried again (the retry armed,
   * else the next poll), undefined when no sync will be (shutting down).
   */
  syncFailed(error: ErrorInfo, failures: number, retryAt: Date | undefined): void {
    this.#syncing = false;
    this.#source = {
      ...this.#source,
      lastError: error,
      failures,
      nextAttemptAt: retryAt?.toISOString() ?? null,
    };
  }

  /** After each pass that was not aborted: its error if it needs a person (standingFault), else null. */
  passChecked(fault: { why: string; error: ErrorInfo } | null): void {
    this.#fault = fault;
  }

  passStarted(at: Date): void {
    this.#reconcile = { ...this.#reconcile, lastStartedAt: at.toISOString() };
    this.#plannedThisPass = false;
  }

  /**
   * A pass ended. The plan it published is marked with what became of its steps (`results`,
   * else those it finished before it failed), and when: a plan published and left as it was
   * showed steps the pass had done as still to do, until the next pass (docs M-3).
   */
  passFinished(
    result: NonNullable<ReconcileStatus['lastResult']>,
    at: Date,
    details: { error?: ErrorInfo; revision?: string; results?: readonly StepResult[] | undefined } = {},
  ): void {
    this.#reconcile = {
      ...this.#reconcile,
      lastFinishedAt: at.toISOString(),
      lastResult: result,
      lastError: details.error ?? null,
      ...(details.revision === undefined ? {} : { lastRevision: details.revision }),
    };
    const published = this.#published;
    if (published === undefined) return;
    // A pass that failed before it planned leaves the last plan as it was, saying so on /plan.
    if (!this.#plannedThisPass) {
      const startedAt = this.#reconcile.lastStartedAt;
      const unplanned = details.error && startedAt ? { startedAt, error: details.error } : undefined;
      if (unplanned === undefined && this.#unplanned === undefined) return;
      this.#unplanned = unplanned;
      this.#stage(published.stage);
      return;
    }
    if (published.stage.state !== 'applying') return;
    if (details.error) {
      this.#stage(interruptedStage(published.stage, published.plan, this.#outcomes, details.error));
      // What /plan now says of its steps, audiences[] says of their audiences.
      this.#audiences = interruptedAudiences(
        this.#audiences,
        published.recorded,
        published.plan,
        this.#outcomes,
        details.error,
      );
      return;
    }
    if (details.results) this.#outcomes = new Map(details.results.map((r) => [r.step.id, r]));
    this.#stage(appliedStage(published.stage, published.plan, this.#outcomes, at));
  }

  /**
   * The plan of a pass, before execution: /plan shows what is being applied, and `render`
   * marks its steps with their outcomes once the pass ends (passFinished). `recorded`: the
   * audiences as the records it was made from say, listed by a pass that fails after its steps
   * where no earlier pass listed them.
   */
  planned(
    revision: string,
    plan: Plan,
    render: (marks: PlanMarks) => string,
    at: Date,
    recorded: readonly AudienceStatus[] = [],
  ): void {
    this.#published = { plan, render, stage: plannedStage(this.#mode === 'dry-run', at), recorded };
    this.#outcomes = new Map();
    this.#unplanned = undefined;
    this.#plannedThisPass = true;
    this.#plan = { revision, summary: summarisePlan(plan), ...this.#published.stage };
    this.#markdown = render(planMarks(this.#published.stage, this.#outcomes, revision));
    this.#diagnostics = diagnosticsOf(plan);
  }

  /** A step of the plan being applied finished: kept for a pass that fails before it ends. */
  stepFinished(result: StepResult): void {
    if (this.#published?.stage.state === 'applying') this.#outcomes.set(result.step.id, result);
  }

  #stage(stage: PlanStage): void {
    const published = this.#published!;
    published.stage = stage;
    const { revision, summary } = this.#plan!;
    this.#plan = { revision, summary, ...stage };
    this.#markdown = published.render(planMarks(stage, this.#outcomes, revision, this.#unplanned));
  }

  audiencesChanged(audiences: AudienceStatus[]): void {
    this.#audiences = audiences;
  }

  /** What the last refresh found (with what stands of sandboxes it could not read). */
  get drifted(): readonly DriftInfo[] {
    return this.#refresh.drifted;
  }

  /**
   * After a refresh's pass: the audience each drift it found was about, as that pass lists the
   * audience (its record's id). Kept for the drift that stands of sandboxes it could not read.
   */
  driftedAudiences(shown: readonly AudienceStatus[]): void {
    const ids = new Map<string, string | undefined>();
    const now = new Map(shown.map((audience) => [driftKey(audience), audience.audienceId]));
    for (const drift of this.#refresh.drifted) {
      const key = driftKey(drift);
      ids.set(key, this.#foundNow.has(key) ? now.get(key) : this.#driftedIds.get(key));
    }
    this.#driftedIds = ids;
  }

  /**
   * The audience a standing drift is about (driftedAudiences), undefined when unknown: drift
   * stands on audiences[] only while its key still points at that audience (withStandingDrift).
   */
  driftedAudience(drift: { sandbox: string; key: string }): string | undefined {
    return this.#driftedIds.get(driftKey(drift));
  }

  refreshEvery(intervalMs: number): void {
    this.#refresh = { ...this.#refresh, intervalMs };
  }

  /**
   * A refresh read the audiences: `drifted` is what it found. With `failed`, some sandboxes
   * could not be read: what an earlier refresh found in them stands, `lastAt` (the last
   * complete refresh) does not move, and the error is shown. Returns the drift now shown.
   */
  refreshed(
    at: Date,
    drifted: DriftInfo[],
    failed?: { sandboxes: ReadonlySet<string>; error: ErrorInfo },
  ): DriftInfo[] {
    this.#foundNow = new Set(drifted.map(driftKey));
    if (failed === undefined) {
      this.#refresh = { ...this.#refresh, lastAt: at.toISOString(), lastError: null, drifted };
      return drifted;
    }
    const unread = this.#refresh.drifted.filter((drift) => failed.sandboxes.has(drift.sandbox));
    const shown = [...unread, ...drifted];
    this.#refresh = { ...this.#refresh, lastError: failed.error, drifted: shown };
    return shown;
  }

  clockRead(clock: ClockStatus): void {
    this.#clock = clock;
  }

  get clock(): ClockStatus | undefined {
    return this.#clock;
  }

  refreshFailed(error: ErrorInfo): void {
    this.#refresh = { ...this.#refresh, lastError: error };
  }
}

/** Not ready for `why`'s error: its code and message, or its code alone (Readiness.brief). */
function notReady(why: string, error: ErrorInfo): Readiness {
  return { ready: false, reason: `${why}: ${error.code}: ${error.message}`, brief: `${why}: ${error.code}` };
}

/** Readiness as /status shows it: the whole reason (/status is for the HTTP token's holders). */
function shownReadiness(readiness: Readiness): StatusSnapshot['readiness'] {
  return readiness.ready ? { ready: true } : { ready: false, reason: readiness.reason };
}

const driftKey = (x: { sandbox: string; key: string }): string => `${x.sandbox}/${x.key}`;
