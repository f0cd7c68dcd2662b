import type { AskedWait } from '../aep/asked-waits.js';
import type { AepClient } from '../aep/types.js';
import type { Step } from '../plan/schema.js';
import type { AppliedRevision } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import type { DeleteReads } from './delete-check.js';
import type { NameWaits } from './name-waits.js';
import type { PasteFlags } from '../text/paste-flags.js';

/** Time, behind an interface so tests and the daemon can drive it. */
export type Clock = {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Milliseconds on a clock that NTP or a suspended VM does not step (performance.now), for
   * durations and deadlines; a clock without it (a test's) has them measured with `now`.
   */
  monotonic?(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
};

/** Backoff of a poll: first wait, growth factor, cap, and how long to keep trying. */
export type PollSchedule = { firstMs: number; factor: number; maxMs: number; timeoutMs: number };

export type StepStatus =
  /** Done. */
  | 'applied'
  /** Accepted by the service and still running (an ingestion run); recorded, not an error. */
  | 'started'
  | 'failed'
  /** Stopped by a guard, in the plan or by what the service said (e.g. exists, id unknown). */
  | 'blocked'
  /** Left for a later apply (run budget, run in progress). */
  | 'deferred'
  /** Not attempted: a step it depends on did not succeed, or the apply was stopped. */
  | 'skipped';

export type StepResult = {
  step: Step;
  status: StepStatus;
  message: string;
  audienceId?: string;
  runId?: string;
  runStatus?: string;
  /**
   * Blocked and not sent: the service asked its sandbox's IMS org for this wait, longer than
   * retry.maxRetryAfterMs (asked-wait-hold.ts); the controller tries it again once it is over.
   */
  askedWait?: AskedWait;
};

export type ApplyReport = {
  results: StepResult[];
  counts: Record<StepStatus, number>;
  /** What resuming interrupted work did before planning. */
  resumed: string[];
  /** The apply was stopped (signal) before it finished. */
  stopped: boolean;
};

export interface ProgressSink {
  stepStarted(step: Step): void;
  stepFinished(result: StepResult): void;
  note(message: string): void;
  close(): void;
}

/**
 * What a step tells the executor of its call as it goes (executor.ts): that the service
 * answered it, and then that its answer is recorded. A step that throws in between (the
 * answer's write failed, the lock lost with it) is reported failed and said sent, never
 * "skipped", which says nothing was sent.
 */
export type CallMarks = {
  /** Answered: `what` says what was sent and what the service answered, as "PATCH sent (<id>: description patched)". */
  sent(what: string): void;
  /** The answer is recorded: a later throw is no longer about the call. */
  recorded(): void;
};

export type ExecutorDeps = {
  client: AepClient;
  store: StateStore;
  clock: Clock;
  progress: ProgressSink;
  /** Stops everything at once: calls in flight are aborted (their intents kept). */
  signal?: AbortSignal;
  /**
   * A gentler stop (the first Ctrl-C): no new step starts and no run is followed any
   * longer; calls in flight finish and are recorded.
   */
  drain?: AbortSignal;
  operationPoll: PollSchedule;
  runPoll: PollSchedule;
  /** Ids per Audiences API bulk-get. Default 50 (the client's). */
  bulkBatchSize?: number;
  /** What the service showed under each id a phase deletes, read as the phase starts (executePlan reads it). */
  deleteReads?: DeleteReads;
  /**
   * What the service showed under each id a refreshed plan PATCHes or runs, read as the phase
   * starts (deactivated-since.ts): one deactivated since the refresh is not sent either.
   */
  changeReads?: DeleteReads;
  /**
   * The git commit the manifests are at, recorded with every spec applied; absent when they
   * are not in a git work tree (nothing is recorded).
   */
  revision?: AppliedRevision | undefined;
  /**
   * The directory the steps' manifest files are relative to (read-source-root.ts), recorded with
   * each (`sourceRoot`); undefined when unknown: a record keeps the one it has.
   */
  sourceRoot?: string | undefined;
  /** The repository of those manifests (work-tree-repository.ts), recorded with each; undefined when unknown. */
  repository?: string | undefined;
  /**
   * How a person has the audiences read back (`--refresh`), said by the hints of steps that
   * need it. Default "run this apply again with --refresh"; a saved plan cannot be applied with
   * --refresh, so its apply gives the plan to make instead.
   */
  refreshWay?: string;
  /**
   * The plan's refresh read may be old when its steps run: a saved plan (read by `plan`, applied
   * later) or one whose prompt waited for a person. Its PATCHes and runs are then checked against
   * a read made as they start (deactivated-since.ts). Default false: the read was just made, under
   * the lock (a controller's pass, `apply --refresh --auto-approve`), and is not made twice.
   */
  refreshAged?: boolean;
  /**
   * Who applies, for the ways out a step's message gives: `cli` (default), a person who runs
   * `apply`; `controller`, a controller's pass, whose user changes the manifests it reads and
   * waits for its passes and refreshes.
   */
  appliedBy?: 'cli' | 'controller';
  /**
   * The flags (`--state`, `--config`, …) the commands a step's message tells a person to run
   * carry, to reach this process's store and configuration (src/text/paste-flags.ts); none by default.
   */
  paste?: PasteFlags | undefined;
  /** Set by the executor for each step it runs; none outside it. */
  marks?: CallMarks;
  /** Set by the executor: the order of creates after the deletes freeing their names (name-waits.ts). */
  names?: NameWaits;
};
