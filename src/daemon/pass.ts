import { sourceRootOf } from '../manifest/read-source-root.js';
import path from 'node:path';
import { describeHolder } from '../state/lock-holder.js';
import { applyOnce } from '../apply/apply-flow.js';
import type { ApplyRevision } from '../apply/checkout-guard.js';
import { planHoldingElsewhere, type LookElsewhere } from '../apply/held-elsewhere.js';
import { findManifestsElsewhere } from '../manifest/read-elsewhere.js';
import { findBeingWritten } from './writing.js';
import { heldUnsettled } from './read-settled.js';
import { readLive } from '../apply/live.js';
import { RefreshError, type SandboxRefreshFailure } from '../apply/refresh.js';
import type { Clock, PollSchedule, StepResult } from '../apply/types.js';
import type { AepClient } from '../aep/types.js';
import type { Logger } from '../log.js';
import type { LoadResult } from '../manifest/load.js';
import { startManifestLoader } from '../manifest/load-isolated.js';
import { holdUnreachableSandboxes } from '../manifest/hold-sandboxes.js';
import { readManifestDir, type ReadDirOptions } from '../manifest/read-dir.js';
import { plan as makePlan, type PlanOptions } from '../plan/plan.js';
import { DEFAULT_RUN_BUDGET } from '../plan/runs.js';
import type { CommitRelation } from '../plan/older-checkout.js';
import type { Plan } from '../plan/schema.js';
import type { AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import type { SourceRevision } from '../source/types.js';
import { NO_PASTE_FLAGS, withManifestsDir, type PasteFlags } from '../text/paste-flags.js';
import { leavesRunInProgress, wantsRequeue, type AudienceTracker } from './audiences.js';
import { daemonProgress, runBudgetLeft } from './instruments.js';
import type { DaemonMetrics } from './metrics.js';
import { publishPlan } from './publish-plan.js';
import { publishRefresh } from './refresh-outcome.js';
import { correctionLeft, correctionsStanding, withStandingDrift } from './drift-status.js';
import { errorInfo, type StatusBoard } from './status-board.js';
import { publishClock } from './clock-status.js';
import { measuredOffset, serviceShift } from '../apply/service-time.js';

/** How a pass reads, plans and applies; fixed for the life of the controller. */
export type ReconcileSettings = {
  /** Publish the plan and stop before executing it. Default false. */
  dryRun: boolean;
  /**
   * Read every manifest on every pass (`--full-reads`), as on a resync, instead of only
   * the files the source says changed. Default false.
   */
  fullReads?: boolean;
  /** Which files of the revision are manifests (include, exclude, size limit). */
  read: ReadDirOptions;
  /** Sandbox of manifests that name none. */
  defaultSandbox: string;
  /**
   * Hold the files of manifests whose sandbox no credentials reach (client.orgOf), each named
   * in a diagnostic, and apply the rest: a typo in one file's `metadata.sandbox` must not stop
   * every pass (review 37a, M-2). False for the dry run without credentials, which calls
   * nothing and reaches no sandbox. Default true.
   */
  holdSandboxesWithoutCredentials?: boolean;
  /** The guards and run budget, for the time of the pass (epoch seconds). */
  planOptions: (nowSeconds: number) => PlanOptions;
  /** Wait this long for the state lock (another apply) before the pass fails. */
  lockTimeoutMs: number;
  operationPoll: PollSchedule;
  /** Its `timeoutMs` bounds how long a pass follows a run before leaving it to a later pass. */
  runPoll: PollSchedule;
  /** Ids per Audiences API bulk-get (`api.bulkBatchSize`); default the client's. */
  bulkBatchSize?: number | undefined;
  /**
   * With `--dir`: the watch debounce. A removal whose manifest file changed within it before
   * the pass read it (or since) is held, and a pass follows once the file is quiet (see
   * src/daemon/writing.ts). Unset for git: the controller writes each checkout whole itself,
   * before the pass reads it, so no file of it is ever read half written.
   */
  writeSettleMs?: number | undefined;
  /**
   * The hosted repository the manifests come from (src/source/work-tree-repository.ts: for git,
   * `--repo`'s path; for `--dir`, its work tree's remote), recorded with each audience: a plan
   * of another repository sharing the store leaves them alone. Unset when unknown.
   */
  repository?: string | undefined;
};

export type PassDeps = {
  store: StateStore;
  /** Calls gated by the stop signal (see shieldCalls). */
  client: AepClient;
  clock: Clock;
  metrics: DaemonMetrics;
  board: StatusBoard;
  tracker: AudienceTracker;
  /** Aborted on shutdown: steps not started are skipped. */
  signal: AbortSignal;
  settings: ReconcileSettings;
  /**
   * The wall clock file modification times are compared with (writeSettleMs): the kernel's,
   * whatever `clock` is. Default Date.now.
   */
  fileClock?: () => number;
  /** Where recorded commits stand against a head, in the source's repository (Source.relations). */
  relations?: (head: string, commits: readonly string[]) => Promise<ReadonlyMap<string, CommitRelation>>;
};

/**
 * What a pass records and checks of its commit. The branch says what to apply: a pass of the
 * revision its sync just fetched is never refused as older (a rollback pushed is its owner's
 * intent). A pass of an unconfirmed revision (the sync failed) is: undoing a newer commit's
 * work from a stale checkout is nobody's intent.
 */
function applyRevision(revision: PassRevision, deps: PassDeps): ApplyRevision {
  const head = revision.commit;
  if (!head) return { kind: 'none' };
  const relations = deps.relations;
  if (!revision.unconfirmed || !relations)
    return {
      kind: 'record',
      head,
      ...(relations ? { relations: (commits: readonly string[]) => relations(head.commit, commits) } : {}),
    };
  return {
    kind: 'guard',
    head,
    headName: 'the last revision synced',
    relations: (commits) => relations(head.commit, commits),
    older: {
      kind: 'refuse-final',
      advice:
        'The sync of the branch failed (source.lastError): the controller reconciles the branch again once a sync succeeds',
    },
  };
}

/**
 * The revision a pass reconciles: its id, for git the commit its records keep, and where its
 * manifests are (without `dir`, records a pass would remove are not looked for elsewhere).
 */
export type PassRevision = Pick<SourceRevision, 'revision' | 'commit'> &
  Partial<Pick<SourceRevision, 'dir' | 'top'>> & {
    /** Wall-clock ms when the pass started reading the source (its sync), for writeSettleMs. */
    readSince?: number;
    /**
     * The pass's own sync failed and this is the last revision synced before: the branch may
     * have moved since, and another process (a replica that led meanwhile, an `apply`) may have
     * applied a newer commit. Such a pass is checked as `apply` checks a checkout: it never
     * undoes what a commit it does not contain applied.
     */
    unconfirmed?: boolean;
    /**
     * A directory's files (relative to `dir`) the pass read other than the revision names them
     * (DesiredCache.unsettled, read-settled.ts): the removals of their records are held.
     */
    unsettled?: readonly string[];
  };

/** How a controller's user has the audiences read back, for the messages of its steps. */
const CONTROLLER_REFRESH_WAY = "the controller's next refresh (--refresh-interval)";

/**
 * What the commands its plans and messages print name for the manifests directory: a person
 * pastes them in a clone of their own, so for git the `--path` inside the repository (`.` for
 * its root); for `--dir`, the directory. No store or configuration flag: the controller's are
 * not the person's.
 */
function pasteOf(revision: PassRevision): PasteFlags | undefined {
  const { dir, top } = revision;
  if (dir === undefined) return undefined;
  return withManifestsDir(NO_PASTE_FLAGS, shownPath(top, dir));
}

/** `absolute` as a person's clone names it: inside the checkout `top` (`.` for its root), else whole. */
function shownPath(top: string | undefined, absolute: string): string {
  return top === undefined ? absolute : path.relative(top, absolute) || '.';
}

/**
 * How a pass looks for the manifests of records it would remove where it did not read: outside
 * --include/--exclude, and above --path (up to the checkout) or --dir. Paths are shown
 * relative to a git checkout (what --path names), else whole.
 */
function lookElsewhere(
  revision: PassRevision,
  settings: ReconcileSettings,
  writing: WritingLog,
): LookElsewhere | undefined {
  const { dir, top } = revision;
  if (dir === undefined) return undefined;
  const settleMs = settings.writeSettleMs;
  const readSince = revision.readSince;
  const check = settleMs === undefined || readSince === undefined ? undefined : { dir, settleMs, readSince };
  const show = (absolute: string) => shownPath(top, absolute);
  return async (records, recorded, repointed) => {
    const found = await findManifestsElsewhere(
      records,
      {
        dir,
        top,
        show,
        include: settings.read.include,
        exclude: settings.read.exclude,
        maxFileBytes: settings.read.maxFileBytes,
        defaultSandbox: settings.defaultSandbox,
      },
      recorded,
      repointed,
    );
    // Only a removal waits for a file being written, or read other than its revision.
    if (records.length === 0) return found;
    const unsettled = heldUnsettled(records, revision.unsettled ?? []);
    if (!check) return [...found, ...unsettled];
    const being = await findBeingWritten(records, check, writing.now);
    writing.quietAt = being.quietAt;
    // A record held by both is held once (elsewhere.ts finds the first).
    return [...found, ...being.held, ...unsettled];
  };
}

/**
 * Whether a pass reads the audiences back, and where it tells of a sandbox it could not read
 * (planned from its records alone: one sandbox's failure hides no other's drift).
 */
type Refresh = false | { sandboxFailed: (failure: SandboxRefreshFailure) => void };

/**
 * What the last look found being written (the plan may be made twice: the last look counts),
 * and the clock file times are compared with.
 */
type WritingLog = { quietAt: number | undefined; now: () => number };

export type PassResult = {
  plan: Plan;
  /** Undefined in dry-run: nothing was executed. */
  results: StepResult[] | undefined;
  /** A step waits for a run in progress: reconcile again later. */
  requeue: boolean;
  /** A refresh was asked for: whether it succeeded (a failed one was left out of the plan). */
  refreshed?: boolean;
  /** The refresh found drift this pass could correct and did not: the next pass reads again. */
  readAgain?: boolean;
  /**
   * Removals were held because their files were being written: wall-clock ms after which
   * those files have been quiet a debounce long. A pass then settles them.
   */
  quietAt?: number;
};

/**
 * Reads every manifest of one revision; broken files become diagnostics and held
 * audiences. The controller reads through DesiredCache instead, which gives the same.
 */
export async function loadRevision(
  dir: string,
  settings: Pick<ReconcileSettings, 'read' | 'defaultSandbox'>,
  /** A git source's checkout, of which `dir` is the `--path` (SourceRevision.top). */
  top?: string,
): Promise<LoadResult> {
  const loader = startManifestLoader();
  // With filters, the CLI's warning when they select no file, as DesiredCache gives it.
  const filtered = settings.read.include !== undefined || settings.read.exclude !== undefined;
  const options = {
    ...settings.read,
    ...(top === undefined ? {} : { checkoutTop: top }),
    ...(filtered ? { warnIfNothingSelected: true } : {}),
  };
  const read = await readManifestDir(dir, options, loader.accept).catch((error: unknown) => {
    loader.close();
    throw error;
  });
  const loaded = await loader.load(read.files, { defaultSandbox: settings.defaultSandbox });
  loaded.diagnostics.unshift(...read.diagnostics);
  return loaded;
}

/** The directory the pass reads, and its repository, as records keep them (src/manifest/read-source-root.ts). */
function rootOf(
  revision: PassRevision,
  { repository }: Pick<ReconcileSettings, 'repository'>,
): { sourceRoot?: string; repository?: string } {
  return {
    ...(revision.dir === undefined ? {} : { sourceRoot: sourceRootOf(revision.dir, revision.top) }),
    ...(repository === undefined ? {} : { repository }),
  };
}

async function applyDesired(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  log: Logger,
  refresh: Refresh,
  writing: WritingLog,
): Promise<{ plan: Plan; results: StepResult[] }> {
  const { clock, signal, settings, tracker } = deps;
  const paste = pasteOf(revision);
  const outcome = await applyOnce(
    {
      kind: 'manifests',
      desired,
      planOptions: { ...settings.planOptions(Math.floor(clock.now() / 1000)), ...(paste ? { paste } : {}) },
      lookElsewhere: lookElsewhere(revision, settings, writing),
    },
    {
      client: deps.client,
      store: deps.store,
      clock,
      signal,
      lockTimeoutMs: settings.lockTimeoutMs,
      // A directory store's lock held by an apply beside the controller: the pass waits for it.
      waitingForLock: (holder) => log.info({ holder: describeHolder(holder) }, 'waiting for the state lock'),
      ...(paste ? { paste } : {}),
      appliedBy: 'controller',
      refreshWay: CONTROLLER_REFRESH_WAY,
      refresh: refresh !== false,
      ...(refresh === false ? {} : { sandboxRefreshFailed: refresh.sandboxFailed }),
      // One sandbox's refused secret holds its own steps (named on /status), not the others'.
      sandboxTokenRefused: ({ sandbox, error }) =>
        log.warn(
          { code: error.code, sandbox, err: error.message },
          'IMS refused a sandbox; its steps are held',
        ),
      revision: applyRevision(revision, deps),
      ...rootOf(revision, settings),
      ...(settings.bulkBatchSize === undefined ? {} : { bulkBatchSize: settings.bulkBatchSize }),
      operationPoll: settings.operationPoll,
      runPoll: settings.runPoll,
      review: (plan, resumed) => {
        for (const note of resumed) log.info({ note }, 'resumed interrupted work');
        const held = tracker.hold(plan, clock.now());
        if (held > 0) log.info({ held }, 'steps held back by backoff');
        publishPlan(deps, revision.revision, plan);
        // Auto-approve: the controller is the reviewer. Stopping: nothing new starts.
        return Promise.resolve(!signal.aborted);
      },
      onDropped: (dropped) => {
        for (const note of dropped) log.info({ note }, 'dropped a spent runs-only record');
      },
      progress: (plan) => daemonProgress(plan, log, deps.metrics),
    },
  );
  return { plan: outcome.plan, results: outcome.report?.results ?? [] };
}

/**
 * Dry-run: plan against the recorded state (read back from the service when refreshing)
 * and publish it. No lock, no write, no API call but the refresh's reads.
 */
async function planDesired(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  refresh: Refresh,
  writing: WritingLog,
): Promise<{ plan: Plan; records: AudienceRecord[] }> {
  const recorded = await deps.store.readAll();
  const paste = pasteOf(revision);
  const options = {
    ...deps.settings.planOptions(Math.floor(deps.clock.now() / 1000)),
    ...(paste ? { paste } : {}),
    ...rootOf(revision, deps.settings),
  };
  const live = await readLive(desired, recorded, options, deps.client, {
    refresh: refresh !== false,
    ...(refresh === false ? {} : { sandboxFailed: refresh.sandboxFailed }),
    batchSize: deps.settings.bulkBatchSize,
    signal: deps.signal,
    now: deps.clock.now(),
    followRuns: true,
  });
  // Dry-run asks nothing of AEP to learn its clock: what earlier answers showed, if recent.
  const plan = await planHoldingElsewhere(
    (elsewhere) =>
      makePlan(desired, recorded, {
        ...options,
        ...live,
        clockOffset: measuredOffset(deps.client),
        elsewhere,
      }),
    recorded,
    lookElsewhere(revision, deps.settings, writing),
  );
  publishPlan(deps, revision.revision, plan);
  return { plan, records: recorded.audiences };
}

function recordBudget(deps: PassDeps, records: readonly AudienceRecord[], desired: LoadResult): void {
  const options = deps.settings.planOptions(Math.floor(deps.clock.now() / 1000));
  const perDay = (options.runBudget ?? DEFAULT_RUN_BUDGET).perSandboxPerDay;
  const sandboxes = new Set(desired.manifests.map((m) => m.sandbox));
  // Runs' createdAt are AEP's: the last 24 h are counted in its clock when it is measured off ours.
  const now = Math.floor(deps.clock.now() / 1000) + serviceShift(deps.client);
  const left = runBudgetLeft(records, sandboxes, perDay, now);
  for (const [sandbox, runs] of left) deps.metrics.runBudgetRemaining.set({ sandbox }, runs);
}

/**
 * One reconcile of one revision (its manifests read by the caller): plan, then apply (auto-approved) or, in
 * dry-run, stop after publishing the plan. Publishes the plan, per-audience states and
 * the run budget. Throws when the pass as a whole failed (state locked, store unreadable).
 */
export async function reconcileRevision(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  log: Logger,
  refresh = false,
): Promise<PassResult> {
  if (deps.settings.holdSandboxesWithoutCredentials !== false)
    desired = holdUnreachableSandboxes(desired, (sandbox) => deps.client.orgOf(sandbox) !== undefined);
  if (desired.failedFiles.length > 0) {
    log.warn({ files: desired.failedFiles }, 'manifests with errors: their audiences are held');
  }
  let plan: Plan;
  let results: StepResult[] | undefined;
  let records: AudienceRecord[];
  // A failed refresh is reported, and the pass plans from the records alone: manifest
  // changes still go through while the Audiences API is down. Nothing is read as deleted.
  let refreshed = refresh;
  const writing: WritingLog = { quietAt: undefined, now: deps.fileClock ?? Date.now };
  // The sandboxes the refresh could not read: planned from their records alone, the others
  // from what was read.
  const failed: SandboxRefreshFailure[] = [];
  const reading: Refresh = refresh && { sandboxFailed: (failure) => failed.push(failure) };
  const withoutRefresh = (error: unknown) => {
    if (!refresh || !(error instanceof RefreshError) || deps.signal.aborted) throw error;
    refreshed = false;
    failed.length = 0;
    const info = errorInfo(error, new Date(deps.clock.now()));
    deps.board.refreshFailed(info);
    log.warn({ code: info.code, err: info.message }, 'refresh failed; planned from the records alone');
  };
  if (deps.settings.dryRun) {
    ({ plan, records } = await planDesired(revision, desired, deps, reading, writing).catch(
      async (error: unknown) => {
        withoutRefresh(error);
        return planDesired(revision, desired, deps, false, writing);
      },
    ));
  } else {
    ({ plan, results } = await applyDesired(revision, desired, deps, log, reading, writing).catch(
      async (error: unknown) => {
        withoutRefresh(error);
        writing.quietAt = undefined;
        return applyDesired(revision, desired, deps, log, false, writing);
      },
    ));
    records = (await deps.store.readAll()).audiences;
  }
  const now = deps.clock.now();
  const standing = refreshed ? publishRefresh(deps, { plan, results, failed }, now, log) : [];
  if (results)
    deps.tracker.record(plan, results, now, deps.signal.aborted, correctionsStanding(deps.board.drifted));
  else deps.tracker.forgetAllBut(new Set());
  const states = deps.tracker.states(records, plan, results, now);
  if (refreshed) deps.board.driftedAudiences(states);
  deps.board.audiencesChanged(
    withStandingDrift(
      states,
      deps.board.drifted,
      new Date(now),
      (drift) => deps.board.driftedAudience(drift),
      (id) => deps.tracker.backoff.get(id),
    ),
  );
  recordBudget(deps, records, desired);
  publishClock(deps.client, deps.board, deps.metrics, log);
  if (writing.quietAt !== undefined)
    log.info(
      { held: plan.held.length, quietAt: new Date(writing.quietAt).toISOString() },
      'removals held: their files were being written; a pass follows once they are quiet',
    );
  return {
    plan,
    results,
    requeue: (results?.some(wantsRequeue) ?? false) || leavesRunInProgress(plan, results),
    // A sandbox left unread is read again on the backoff schedule.
    ...(refresh ? { refreshed: refreshed && failed.length === 0 } : {}),
    ...(correctionLeft(standing, deps.settings.dryRun) ? { readAgain: true } : {}),
    ...(writing.quietAt === undefined ? {} : { quietAt: writing.quietAt }),
  };
}
