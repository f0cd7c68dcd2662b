import { z } from 'zod';
import { NormalSpec } from '../manifest/normal-spec.js';
import { AudienceSpec } from '../manifest/schema.js';
import { AppliedRevision, type RunRecord } from '../state/schema.js';

/**
 * `move`: the key's record is in one sandbox while its manifest now resolves to
 * another, or a new key of its sandbox names its audience. Audiences cannot move between
 * sandboxes, and a changed key is never delete + create, so a move is always blocked; a record
 * still waiting for its create moves with that create instead (Step.movedFrom).
 */
export const StepKind = z.enum(['create', 'update', 'replace', 'delete', 'forget', 'run', 'move', 'adopt']);
export type StepKind = z.infer<typeof StepKind>;

/** One property that differs between what was applied and what the manifest says. */
export const FieldChange = z.object({
  path: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  /** True when PATCH cannot change it: the audience must be deleted and created again. */
  forcesReplacement: z.boolean(),
  /** Changed outside audiencectl (seen by a refresh): `before` is what the service shows. */
  outside: z.boolean().optional(),
  /**
   * When a PATCH of unknown outcome sent it, and the service never shows it
   * (AudienceRecord.unknownAfterPatch): `before` is what was recorded, which the service may
   * not hold.
   */
  unknownSince: z.string().optional(),
});
export type FieldChange = z.infer<typeof FieldChange>;

export const RunRequest = z.object({
  /** `onCreate`, `request:<token>` or `every`. */
  reason: z.string(),
  dataFilterStartTime: z.number().int(),
  /** A run of this audience was in progress when planned: the executor waits for it. */
  waitsForRunId: z.string().optional(),
  /**
   * Set with `waitsForRunId` when the manifest names no `dataFilterStartTime`: the start is
   * the end of the last successful run, so if the waited-for run succeeds, the executor
   * starts this one where that one ended, not where the plan saw the last success end.
   * Set without it by `plan --base`, which knows no run: the apply decides the start (the end
   * of the last successful run, 0 if none); `dataFilterStartTime` is then 0.
   */
  fromLastSuccess: z.literal(true).optional(),
});
export type RunRequest = z.infer<typeof RunRequest>;

/** What the state records once a create, update or replace step succeeds. */
export const AppliedTarget = z.object({
  spec: NormalSpec,
  hash: z.string(),
  ingestionRequest: z.string().optional(),
  deletionPolicy: z.enum(['Delete', 'Orphan']),
});
export type AppliedTarget = z.infer<typeof AppliedTarget>;

/**
 * What a refresh read of the Audiences API showed of one recorded audience: only what that
 * API shows (no fields, sourceSpec or tags). `missing` is the service's positive answer
 * that the id does not exist; a read that failed never becomes one.
 */
export const LiveState = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('found'),
    audienceId: z.string(),
    name: z.string(),
    /** Absent when the service does not show one. */
    description: z.string().optional(),
    labels: z.array(z.string()).optional(),
    ttlInDays: z.number().optional(),
    /**
     * A ttlInDays the service shows outside the days the page allows it to be set to (TTL_DAYS),
     * in place of `ttlInDays`: no data expiration read as days, so never compared (ttl-outside.ts).
     */
    ttlInDaysOutside: z.number().optional(),
    /** External (CUSTOM_UPLOAD / ExternalSegment); anything else is another audience. */
    external: z.boolean(),
    originName: z.string().optional(),
    namespace: z.string().optional(),
    createdBy: z.string().optional(),
    /** Epoch seconds. */
    createdAt: z.number().optional(),
    /** As the service shows it (`inactive`: deactivated, in the UI); absent when it shows none. */
    lifecycleState: z.string().optional(),
  }),
  z.object({ status: z.literal('missing'), audienceId: z.string() }),
]);
export type LiveState = z.infer<typeof LiveState>;

/** A refresh: the live state of recorded audiences by `sandbox/key`, read at `at` (ISO). */
export const RefreshView = z.object({
  at: z.string(),
  audiences: z.record(z.string(), LiveState),
});
export type RefreshView = z.infer<typeof RefreshView>;

/** An audience of the manifest's name found in the sandbox, as the Audiences API shows it. */
export const FoundAudience = LiveState.options[0];
export type FoundAudience = z.infer<typeof FoundAudience>;

/**
 * Audiences of each adoptable manifest's exact name, by `sandbox/key`, read before planning
 * (`metadata.adopt`, `--adopt`).
 */
export const AdoptView = z.object({
  at: z.string(),
  byKey: z.record(z.string(), z.array(FoundAudience)),
});
export type AdoptView = z.infer<typeof AdoptView>;

const stepFields = {
  /** `sandbox/key:kind`, unique within a plan. */
  id: z.string(),
  sandbox: z.string(),
  key: z.string(),
  reason: z.string(),
  /** Manifest file and line, where one defines the audience. */
  source: z.string().optional(),
  audienceId: z.string().optional(),
  changes: z.array(FieldChange),
  /** The POST body, for create and replace. */
  create: AudienceSpec.optional(),
  /** The PATCH body: only the PATCHable properties that changed. */
  patch: z.record(z.string(), z.unknown()).optional(),
  target: AppliedTarget.optional(),
  run: RunRequest.optional(),
  /** Id of a step that must succeed first. */
  dependsOn: z.string().optional(),
  /**
   * Of a create or replace: ids of this plan's deletes and replaces of other records whose
   * DELETE frees the name it takes (plan/name-holders.ts). Its POST is sent after them, and not
   * at all unless they deleted; a replace waits for them before its own DELETE too, but for the
   * replaces in a cycle with it (a swap: apply/name-waits.ts).
   */
  freedBy: z.array(z.string()).optional(),
  /** Why a guard stops this step; a blocked step is not applied. */
  blocked: z.string().optional(),
  /** Why this step waits for a later apply (the run budget); not an error. */
  deferred: z.string().optional(),
  /**
   * A create of an audience a refresh found deleted outside audiencectl: the record of
   * this id is cleared before the POST.
   */
  goneAudienceId: z.string().optional(),
  /**
   * A create of a manifest whose metadata.name or sandbox changed while its record waited for
   * its create (no audience id; plan/waiting-move.ts): that record, moved to this step's key
   * (same sandbox: with its create in flight, the mark of a replace's deleted name, its runs)
   * or dropped (another sandbox: nothing exists there) before the create.
   */
  movedFrom: z.object({ sandbox: z.string(), key: z.string() }).optional(),
};

/** Every kind but adopt: the fields above say all there is. */
export const PlainStepKind = StepKind.exclude(['adopt']);
export type PlainStepKind = z.infer<typeof PlainStepKind>;

/**
 * `adopt`: take over an existing audience audiencectl did not create (asked for with
 * `metadata.adopt` or `--adopt`); `audienceId` is the one adopted, `candidates` what the
 * sandbox holds under the name (several or none: the step is blocked).
 */
export const AdoptStep = z.object({
  ...stepFields,
  kind: z.literal('adopt'),
  candidates: z.array(FoundAudience),
});
export type AdoptStep = z.infer<typeof AdoptStep>;

export const Step = z.discriminatedUnion('kind', [
  z.object({ ...stepFields, kind: PlainStepKind }),
  AdoptStep,
]);
export type Step = z.infer<typeof Step>;
export type PlainStep = Exclude<Step, AdoptStep>;

export const HeldAudience = z.object({
  sandbox: z.string(),
  key: z.string(),
  reason: z.string(),
  /**
   * Held for a manifest the plan did not read that still names it (another directory's sharing
   * the store, outside --include/--exclude, ...): not this plan's audience, which its deletion
   * limit does not count and the controller's /status does not list. Absent for a hold of its own
   * (a file with errors, a file being written, some file unread).
   */
  elsewhere: z.literal(true).optional(),
});
export type HeldAudience = z.infer<typeof HeldAudience>;

/** A desired audience whose last run failed, and for which this plan starts no new run. */
export const FailedRun = z.object({
  sandbox: z.string(),
  key: z.string(),
  runId: z.string(),
  /** The service's reason, as recorded. */
  reason: z.string(),
  /** What to do next (change ingestion.request). */
  next: z.string(),
});
export type FailedRun = z.infer<typeof FailedRun>;

/**
 * A recorded run left in progress (an apply or a pass followed it for --run-wait, then left it),
 * read again before planning: `read`, the record's run as the service now answers it; `unread`,
 * its read failed or could not be made (`why`), so it may still be running.
 */
export type RunRead = { kind: 'read'; run: RunRecord } | { kind: 'unread'; runId: string; why: string };
/** The runs read again, by `sandbox/key`. */
export type RunsRead = Readonly<Record<string, RunRead>>;

/**
 * A desired audience whose newest run is still in progress, or whose status could not be read
 * (`unread`: why), and for which this plan starts no run: none starts until it has ended.
 */
export const RunInProgress = z.object({
  sandbox: z.string(),
  key: z.string(),
  runId: z.string(),
  /** As last read (or recorded, when `unread`). */
  status: z.string(),
  unread: z.string().optional(),
});
export type RunInProgress = z.infer<typeof RunInProgress>;

/** What every pending intent says: whose it is, and whether its manifest is in the plan. */
const pendingFields = {
  sandbox: z.string(),
  key: z.string(),
  /** The audience the call went to (a delete's intent names it); absent when none is recorded. */
  audienceId: z.string().optional(),
  /** The audience's manifest is in the plan. */
  manifest: z.boolean(),
};

/**
 * A call whose outcome is unknown, its intent still in the state: `plan` settles nothing, but
 * apply settles it first (src/apply/resume.ts), and what it finds may change what apply does.
 * A create intent is not one: apply leaves it to the create step, which the plan shows.
 */
export const PendingIntent = z.discriminatedUnion('kind', [
  /** A DELETE: apply reads the service, and finishes the delete if the audience is gone. */
  z.object({
    ...pendingFields,
    kind: z.literal('delete'),
    /** A replace's DELETE: the record is kept for the create that follows. */
    forReplace: z.literal(true).optional(),
  }),
  /** A PATCH: apply reads the audience back, and records what the service shows of its spec. */
  z.object({
    ...pendingFields,
    kind: z.literal('patch'),
    /** What it sent that the service never shows (Intent.unseenChanged): apply marks it unknown. */
    unseen: z.array(z.string()).optional(),
  }),
  /** A run request: apply reads the audience's runs, and records the run it started, if any. */
  z.object({
    ...pendingFields,
    kind: z.literal('run'),
    /** Why the run was asked for (RunRecord.reason: `onCreate`, `request:<token>`, `every`). */
    runReason: z.string().optional(),
  }),
]);
export type PendingIntent = z.infer<typeof PendingIntent>;

export const PlanScopeReport = z.object({
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  /** Recorded audiences whose manifest file is outside the filters (or unknown). */
  outside: z.number().int(),
});
export type PlanScopeReport = z.infer<typeof PlanScopeReport>;

export const PlanDiagnostic = z.object({
  severity: z.enum(['error', 'warning']),
  file: z.string(),
  line: z.number(),
  column: z.number(),
  rule: z.string(),
  message: z.string(),
});

/** Drift kinds a refresh finds. */
export const DriftKind = z.enum(['deleted', 'changed', 'renamed', 'deactivated']);
export type DriftKind = z.infer<typeof DriftKind>;

/** What a refresh saw: how many audiences were read, and which drifted and how. */
export const RefreshReport = z.object({
  at: z.string(),
  /** Recorded audiences read back. */
  read: z.number().int(),
  drifted: z.array(z.object({ sandbox: z.string(), key: z.string(), kind: DriftKind, detail: z.string() })),
  /** What the Audiences API does not show, so drift in it cannot be seen. */
  unseen: z.array(z.string()),
});
export type RefreshReport = z.infer<typeof RefreshReport>;

export const PlanSummary = z.object({
  create: z.number(),
  /** Absent in plans saved before adoption existed. */
  adopt: z.number().default(0),
  update: z.number(),
  replace: z.number(),
  delete: z.number(),
  forget: z.number(),
  run: z.number(),
  /** Always blocked, so always 0; present because every kind has a count. */
  move: z.number().default(0),
  blocked: z.number(),
  deferred: z.number(),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

/** The planner's options, as a saved plan records them so `apply plan.json` can plan again. */
export const SavedPlanOptions = z.object({
  now: z.number().int(),
  /** AEP's clock minus the local one, in seconds, when the plan measured it. */
  clockOffset: z.number().int().optional(),
  allowReplace: z.boolean(),
  allowMassDelete: z.boolean(),
  allowEmptySource: z.boolean(),
  allowMassRecreate: z.boolean().optional(),
  maxDeletes: z.number().int().optional(),
  runBudget: z.object({ perSandboxPerDay: z.number().int(), perAudiencePerDay: z.number().int() }).optional(),
  /** With --refresh: what the service showed, so the plan is made again from the same view. */
  refresh: RefreshView.optional(),
  /**
   * Without --refresh: the audiences a DELETE of unknown outcome may still remove
   * (AudienceRecord.unansweredDelete) as the service showed them, so the plan is made again
   * from the same view.
   */
  lateDeletes: RefreshView.optional(),
  /** `--adopt`: every manifest without a record adopts an existing audience of its name. */
  adopt: z.boolean().optional(),
  /** The audiences found for adoption, so the plan is made again from the same view. */
  adoptView: AdoptView.optional(),
  /** The directory planned, as records keep it (PlanOptions.sourceRoot). */
  sourceRoot: z.string().optional(),
  /** The repository planned, as records keep it (PlanOptions.repository). */
  repository: z.string().optional(),
  /** The root commits of the history planned (PlanOptions.roots), when known. */
  roots: z.array(z.string()).optional(),
});
export type SavedPlanOptions = z.infer<typeof SavedPlanOptions>;

/**
 * Where a saved plan came from: enough to read the same manifests and plan again, and
 * digests of the manifests and state it was made from (sha256 of their canonical JSON).
 */
export const PlanOrigin = z.object({
  /** Absolute path of the manifests directory. */
  dir: z.string(),
  sandbox: z.string(),
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  maxFileBytes: z.number().int().optional(),
  options: SavedPlanOptions,
  manifestsDigest: z.string(),
  stateDigest: z.string(),
  /**
   * The IMS org of each sandbox the steps go to (sandbox -> `…@AdobeOrg`), from the
   * credentials the plan was made with; `apply plan.json` refuses other credentials.
   * Absent when it was made without credentials.
   */
  orgs: z.record(z.string(), z.string()).optional(),
  /**
   * The store it was made against, when that store had no lineage yet (never written, as `init`
   * leaves it): its directory, or its PostgreSQL host, database and schema (storeIdentity).
   * Lineage and serial cannot tell two such stores apart; `apply plan.json` refuses another.
   */
  store: z.string().optional(),
  /**
   * What that store said it is (StateStore.identity: a PostgreSQL server's start time and port,
   * its database and schema), when it was asked: `apply plan.json` takes the same store reached
   * through another spelling of its host (localhost, 127.0.0.1) as that store.
   */
  storeIdentity: z.string().optional(),
  /**
   * The commit of the git work tree the manifests were read from: `apply plan.json` compares
   * the records' commits with it, and records it. Absent outside git.
   */
  revision: AppliedRevision.optional(),
});
export type PlanOrigin = z.infer<typeof PlanOrigin>;

/** What the plan says of the local clock against AEP's, when it is off (plan/clock.ts). */
export const PlanClock = z.object({
  /** AEP's clock minus the local one, in seconds, as measured before planning (beyond the tolerance). */
  offsetSeconds: z.number().int().optional(),
  /** Not measured: the newest recorded run is this many seconds in the local clock's future. */
  runAheadSeconds: z.number().int().optional(),
  note: z.string(),
});
export type PlanClock = z.infer<typeof PlanClock>;

/**
 * Steps that would undo what a commit this checkout does not contain applied (plan/older-checkout.ts):
 * `apply` refuses the plan unless `--allow-older-checkout`.
 */
export const OlderCheckout = z.object({
  /** The checkout's HEAD (the commit a saved plan was made from). */
  head: AppliedRevision,
  audiences: z.array(
    z.object({
      sandbox: z.string(),
      key: z.string(),
      kind: StepKind,
      /**
       * The commit the record says its spec was applied from; for a create or an adoption, the
       * commit its sandbox was last applied from (StateMeta.revisions), and for an undoing step
       * that too when only it is newer than HEAD (an apply that changed nothing marked it).
       */
      revision: AppliedRevision,
      /**
       * `not-contained`: the commit is in this clone and HEAD does not contain it (HEAD is
       * older, or the histories diverged); `newer`: it is not in this clone (a shallow clone,
       * a branch not fetched) and was committed after HEAD; `rolled-back`: its sandbox was
       * rolled back from `revision` (SandboxMark.rolledBackFrom), which HEAD contains, after
       * HEAD was committed; `unanswered`: git could not tell whether HEAD contains it (a
       * shallow clone lacking it, committed no later than HEAD, whose history could not be
       * fetched: the note says why), which apply refuses (APPLY_SHALLOW_UNANSWERED). A value
       * added without a formatVersion change (README: new values may be added, as fields).
       */
      why: z.enum(['not-contained', 'newer', 'rolled-back', 'unanswered']),
      /** With `rolled-back`: the commit the rollback applied, and when. */
      rolledBack: z.object({ to: z.string(), at: z.string() }).optional(),
      /**
       * Only when `revision` is its sandbox's mark of this plan's repository kept beside another
       * repository's on top (SandboxMark.otherRepositories): another repository applied to the
       * sandbox since, so the note says this repository last applied it from `revision`.
       */
      keptMark: z.literal(true).optional(),
      /**
       * Only when `revision` is its sandbox's mark applied from a repository (`repository`)
       * whose path differs from this plan's (`planned`) by a prefix (marketing/emea/audiences
       * and emea/audiences): one repository through a mirror's path, or two sharing the store,
       * which only the refusal's reader can tell; it names both and the way out of each.
       * `shallow`: that mark was applied from a shallow history (SandboxMark.shallow), which is
       * why the root commits did not tell the two apart.
       */
      prefixed: z
        .object({ repository: z.string(), planned: z.string(), shallow: z.literal(true).optional() })
        .optional(),
    }),
  ),
  note: z.string(),
});
export type OlderCheckout = z.infer<typeof OlderCheckout>;

/** The plan, exactly as `--output json` prints it and `apply plan.json` reads it. */
export const Plan = z.object({
  formatVersion: z.literal(1),
  /** The state the plan was made against; `apply plan.json` refuses it once the state moved. */
  state: z.object({ lineage: z.string().optional(), serial: z.number().int() }),
  summary: PlanSummary,
  steps: z.array(Step),
  held: z.array(HeldAudience),
  /** Present when non-empty: audiences whose last run failed and that get no new run. */
  failedRuns: z.array(FailedRun).optional(),
  /** Present when non-empty: runs left in progress, read again, that no run of this plan starts over. */
  runsInProgress: z.array(RunInProgress).optional(),
  /** Present when non-empty: interrupted calls apply settles before it plans (PendingIntent). */
  pending: z.array(PendingIntent).optional(),
  /**
   * Only on the plan apply makes after settling what an interrupted apply left (resume.ts), with
   * `pending`: the intents it tried and could not settle, kept for the next apply (exit 1).
   */
  afterResume: z.literal(true).optional(),
  /** Only when the local clock is off AEP's (measured, or seen in recorded runs). */
  clock: PlanClock.optional(),
  /** Only with --include/--exclude: recorded audiences outside them, left alone. */
  scope: PlanScopeReport.optional(),
  /** Only with --refresh: what reading the audiences back from the service found. */
  refresh: RefreshReport.optional(),
  /**
   * Only when the store holds records of repositories other than the one planned (`planned`,
   * src/source/work-tree-repository.ts) whose manifests the plan did not read: how many of each,
   * left alone (plan/removals.ts, ofOtherRepository).
   */
  otherRepositories: z
    .object({
      planned: z.string(),
      recorded: z.array(z.object({ repository: z.string(), count: z.number().int() })),
    })
    .optional(),
  /** Only when steps would undo a commit this checkout does not contain: apply refuses them. */
  olderCheckout: OlderCheckout.optional(),
  diagnostics: z.array(PlanDiagnostic),
  /** Set by `plan --output json` from a directory: what `apply plan.json` checks before any call. */
  origin: PlanOrigin.optional(),
  /**
   * Only when the directory given is below the one the records were applied from: the directory
   * given relative to that one (`loyalty` for `plan m/loyalty`), which the steps' files are
   * relative to (applied-from.ts). An apply records that directory with them (sourceRoot).
   */
  appliedBelow: z.string().optional(),
});
export type Plan = z.infer<typeof Plan>;
