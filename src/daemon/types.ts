/**
 * The contract between the reconcile loop and the HTTP server: the loop owns the
 * state and implements `DaemonStatusProvider`; the server only reads it and calls
 * `WebhookTarget.onPush`. Everything here is plain JSON-serialisable data.
 */
import type { CurrentSecret } from './reread-secret-file.js';

/** An error as shown to operators: stable code, actionable message, no secrets. */
export type ErrorInfo = { code: string; message: string; at: string };

/** leadership.lastError's code when the schema's lock is held by the leader of a controller of another source. */
export const LEADER_OTHER_SOURCE = 'LEADER_OTHER_SOURCE';

/** A manifest problem found while loading a revision (the broken file applies nothing). */
export type DiagnosticInfo = {
  file: string;
  line?: number;
  column?: number;
  rule?: string;
  message: string;
  severity?: 'error' | 'warning';
};

export type AudienceState = 'in-sync' | 'pending' | 'blocked' | 'failed' | 'backoff' | 'waiting-run';

export type AudienceStatus = {
  sandbox: string;
  key: string;
  state: AudienceState;
  audienceId?: string;
  lastError?: ErrorInfo;
  /** When a failed audience is retried (exponential backoff), ISO 8601. */
  nextAttemptAt?: string;
  /** Consecutive failures of the same change (the backoff doubles with each). */
  failures?: number;
  /** The audience's last ingestion run failed: the service's reason and what to do next. */
  lastRunFailure?: { runId: string; reason: string; next: string };
};

/** An audience the last refresh found changed outside audiencectl. */
export type DriftInfo = {
  sandbox: string;
  key: string;
  /**
   * `deleted` (re-created), `changed` (description, labels or TTL: PATCHed back), `renamed`
   * (blocked), `deactivated` (lifecycleState inactive: blocked).
   */
  kind: 'deleted' | 'changed' | 'renamed' | 'deactivated';
  detail: string;
  /** The pass applied the correction (never in dry-run; never for a rename, which needs a person). */
  corrected: boolean;
  /**
   * Why the correction was blocked (a guard: the mass-recreate guard), when it was: a person must
   * act, and it is not read back before the next refresh. Absent for a rename or a deactivation.
   */
  blocked?: string;
};

/** The controller's reading of the service (`--refresh-interval`). */
export type RefreshStatus = {
  /** 0: never refreshes. */
  intervalMs: number;
  /** ISO time of the last successful refresh: one that read every sandbox. */
  lastAt: string | null;
  /** The last refresh failed, for some sandboxes or all (those planned from their records alone). */
  lastError: ErrorInfo | null;
  drifted: DriftInfo[];
};

/** AEP's clock against the controller's, from the latest AEP answer (README, "When runs start, and whose clock times them"). */
export type ClockStatus = {
  /** AEP's clock minus the local one, in seconds (positive: the local clock is behind). */
  offsetSeconds: number;
  /** `date`: an answer's Date header (the only source). */
  source: 'date';
  /** ISO time (local clock) of the answer measured. */
  measuredAt: string;
  /** Beyond this many seconds, runs are timed and budgeted in AEP's clock. */
  toleranceSeconds: number;
  /** The offset is beyond the tolerance: fix this machine's clock. */
  skewed: boolean;
};

export type StatusSnapshot = {
  /** `dry-run` publishes plans and applies nothing. */
  mode: 'apply' | 'dry-run';
  /**
   * `leader` reconciles; a `standby` (a replica sharing a PostgreSQL store with a
   * leader) only syncs its source, ready to take over. Always `leader` with a directory store.
   */
  role: 'leader' | 'standby';
  /**
   * Replicas sharing a PostgreSQL store: why this replica's last attempt to take the lock
   * failed other than by finding it held (the database cannot be reached, the user is
   * refused), cleared once an attempt reaches it. Absent without an election.
   */
  leadership?: { lastError: ErrorInfo | null };
  /** What /readyz answers, with its whole reason when not ready (one line). */
  readiness: { ready: true } | { ready: false; reason: string };
  source: {
    /** Revision of the last successful sync, or null before the first one. */
    revision: string | null;
    lastSyncAt: string | null;
    lastError: ErrorInfo | null;
    /** Consecutive failed syncs: 0 once one succeeds. */
    failures: number;
    /**
     * When the failed sync is tried again: the retry armed (the backoff, --backoff-base doubling
     * to --backoff-max), else the next poll; ISO 8601. Null when no sync failed, while
     * `retrying`, and on shutdown.
     */
    nextAttemptAt: string | null;
    /** A sync after a failed one is under way or asked for (a pass queued): its outcome not in yet. */
    retrying: boolean;
  };
  reconcile: {
    running: boolean;
    lastStartedAt: string | null;
    lastFinishedAt: string | null;
    lastResult: 'success' | 'failure' | 'aborted' | null;
    lastError: ErrorInfo | null;
    /** Why the next pass will run (triggers that arrived during this one), sorted. */
    queued?: string[];
    /** Revision the last completed pass reconciled. */
    lastRevision?: string | null;
  };
  /** The last plan: its step counts by kind, and what became of its steps (PlanStatus). */
  plan: PlanStatus | null;
  diagnostics: DiagnosticInfo[];
  audiences: AudienceStatus[];
  /**
   * Why audiences[] lists nothing though audiences may exist: no pass has planned yet, and the
   * last one failed before it did (a state store that cannot be read): its error, in the words
   * of GET /plan's answer. Null once a pass has planned (audiences[] is then what it listed), and
   * while no pass has failed.
   */
  audiencesUnknown: string | null;
  /** What the last refresh found (absent from providers that do not refresh). */
  refresh?: RefreshStatus;
  /** AEP's clock against the local one; absent before the first AEP answer. */
  clock?: ClockStatus;
};

/** Steps of an applied plan by what became of them (StepStatus), each status counted. */
export type StepOutcomeCounts = Record<
  'applied' | 'started' | 'failed' | 'blocked' | 'deferred' | 'skipped',
  number
>;

/**
 * The last plan on /status: step counts by kind (create, update, run, delete, blocked,
 * deferred...), when it was made, and where its pass stands. A plan shown without what became
 * of its steps read as work still to do after the pass had done it (docs M-3).
 */
export type PlanStatus = { revision: string; summary: Record<string, number> } & PlanStage;

/** When the last plan was made, and where its pass stands (PlanStatus). */
export type PlanStage = { plannedAt: string } &
  /** A dry run: nothing is applied. */
  (
    | { state: 'dry-run' }
    /** Its pass is carrying it out. */
    | { state: 'applying' }
    /**
     * Its pass ended (`appliedAt`, its `reconcile.lastFinishedAt`): `results` counts its steps by
     * outcome; `left` the steps not carried out (failed, blocked, deferred, skipped, or never
     * reached by a stopped pass).
     */
    | { state: 'applied'; appliedAt: string; results: StepOutcomeCounts; left: number }
    /** Its pass failed (`error`) at `failedAt`, after the steps `results` counts. */
    | {
        state: 'interrupted';
        failedAt: string;
        error: ErrorInfo;
        results: StepOutcomeCounts;
        left: number;
      }
  );

export type Readiness =
  | { ready: true }
  | {
      ready: false;
      reason: string;
      /**
       * The reason without the error's message (its code alone): what /readyz, open to all, tells
       * a request without the HTTP token (the message quotes the repository's URL, IMS's answer).
       */
      brief: string;
    };

/** Implemented by the reconcile loop; called on every request, so keep it cheap. */
export interface DaemonStatusProvider {
  /** Ready once the first sync succeeded (a plan can be served from a real revision). */
  readiness(): Readiness;
  status(): StatusSnapshot;
  /** The last plan rendered as Markdown, or undefined before the first plan. */
  planMarkdown(): string | undefined;
}

/** A verified push to the watched branch. */
export type PushNotice = { ref: string; after: string | undefined; deliveryId: string | undefined };

export interface WebhookTarget {
  /**
   * HMAC secret shared with GitHub (`AUDIENCECTL_WEBHOOK_SECRET`), or what its file holds now
   * (`AUDIENCECTL_WEBHOOK_SECRET_FILE`, webhookSecretGiven): asked once per delivery.
   */
  secret: string | CurrentSecret;
  /** The branch the source follows: only pushes to `refs/heads/<branch>` trigger. */
  branch: string;
  /** The path of the repository the source follows (repositoryPathOf); pushes naming another are ignored. Absent: any repository. */
  repository?: string | undefined;
  /** Must return quickly: schedule a sync, do not run it here (GitHub times out at 10 s). */
  onPush(notice: PushNotice): void;
  /**
   * A verified push to the followed branch, of a commit, that names another repository:
   * checked against the followed repository (a rename or a transfer leaves its URL serving
   * the repository GitHub now names otherwise). Must return quickly, as `onPush`. Absent:
   * such a push is ignored.
   */
  onOtherRepository?(notice: PushNotice & { repository: string | undefined }): void;
}
