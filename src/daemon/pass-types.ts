import type { StepResult, Clock, PollSchedule } from '../apply/types.js';
import type { SandboxRefreshFailure } from '../apply/refresh.js';
import type { AepClient } from '../aep/types.js';
import type { ReadDirOptions } from '../manifest/read-dir.js';
import type { PlanOptions } from '../plan/plan.js';
import type { CommitRelation } from '../plan/older-checkout.js';
import type { Plan } from '../plan/schema.js';
import type { VersionsAsked } from '../state/record-version.js';
import type { StateStore } from '../state/store.js';
import type { SourceRevision } from '../source/types.js';
import type { AudienceTracker } from './audiences.js';
import type { DaemonMetrics } from './metrics.js';
import type { StatusBoard } from './status-board.js';

// What a pass is given and gives back (src/daemon/pass.ts).

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
  /**
   * Before a pass's first step: true when records its steps touch (`touched`) are no longer, in
   * the store, those kept since an earlier pass that it planned from (changed outside it:
   * cachedReads `confirm`), read again by then; throws what that read throws. Default: nothing
   * is kept.
   */
  confirmRecords?: (touched: VersionsAsked) => Promise<boolean>;
  /**
   * The first write of the store since the last call that failed because it takes no writes
   * (src/daemon/write-failures.ts): a pass that met one fails with it once its steps are done.
   */
  unwritable?: () => Error | undefined;
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
 * The revision a pass reconciles: its id, for git the commit its records keep, and where its
 * manifests are (without `dir`, records a pass would remove are not looked for elsewhere).
 */
export type PassRevision = Pick<SourceRevision, 'revision' | 'commit' | 'roots' | 'shallow'> &
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

/**
 * Whether a pass reads the audiences back, and where it tells of a sandbox it could not read
 * (planned from its records alone: one sandbox's failure hides no other's drift).
 */
export type Refresh = false | { sandboxFailed: (failure: SandboxRefreshFailure) => void };

/**
 * What the last look found being written (the plan may be made twice: the last look counts),
 * and the clock file times are compared with.
 */
export type WritingLog = { quietAt: number | undefined; now: () => number };

export type PassResult = {
  plan: Plan;
  /** Undefined in dry-run: nothing was executed. */
  results: StepResult[] | undefined;
  /** A step waits for a run in progress: reconcile again later. */
  requeue: boolean;
  /** A refresh was asked for: whether it succeeded (a failed one was left out of the plan). */
  refreshed?: boolean;
  /** A sandbox not read: the longest wait its service asked for that is left (AepClient.askedWait), ms. */
  refreshWaitMs?: number;
  /** The refresh found drift this pass could correct and did not: the next pass reads again. */
  readAgain?: boolean;
  /**
   * Removals were held because their files were being written: wall-clock ms after which
   * those files have been quiet a debounce long. A pass then settles them.
   */
  quietAt?: number;
};
