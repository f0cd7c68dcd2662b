import { z } from 'zod';
import { asEpochSeconds } from '../aep/epoch.js';
import { NormalSpec } from '../manifest/normal-spec.js';
import { AudienceSpec } from '../manifest/schema.js';
import { COMMIT_ID } from './commit-id.js';
import { MAX_CLOCK_OFFSET_SECONDS } from './own-creators.js';

/**
 * A run time the service filled in, in epoch seconds. Releases before the client read run
 * times by their size (aep/epoch.ts) recorded a service's milliseconds as seconds, 50,000
 * years ahead, which deferred every later run for good: such a record is read in seconds,
 * and written so at its next change.
 */
const RunTime = z.preprocess(
  (value) => (typeof value === 'number' ? asEpochSeconds(value) : value),
  z.number(),
);

export const RunRecord = z.object({
  runId: z.string(),
  status: z.string(),
  /**
   * When the run began, epoch seconds in AEP's clock as audiencectl measured it: for a run it
   * started, its own clock at the request (shifted by the offset AEP's Date header showed); for
   * one it adopted, the service's createdAt only where that lies between the request and the
   * adoption. Never the service's createdAt alone, which the page also reads as the audience's
   * creation time (docs/state.md). Records of earlier releases hold the service's value.
   */
  createdAt: RunTime,
  dataFilterStartTime: z.number(),
  dataFilterEndTime: RunTime.optional(),
  /** Why audiencectl started it: `onCreate`, `request:<token>` or `every`. */
  reason: z.string().optional(),
  /** Why the service failed it, as it said. */
  failureReason: z.string().optional(),
  /**
   * Set on the runs of an audience deleted while its record lives on: deleted outside
   * audiencectl, its record re-created (refresh), or by a replace. The id it ran on. Kept for
   * the daily run budget; never read as a run of the audience the record names now (see
   * currentRuns).
   */
  formerAudienceId: z.string().optional(),
  /**
   * How many runs of the audience the service counted (`_page.totalCount`) in the runs list read
   * just before this run was requested, where that list was a page that may lack the newest
   * runs: the next run step counts from it what is past such a page (hidden-runs.ts).
   */
  countedBefore: z.number().int().nonnegative().optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/**
 * A mutating call that may have reached the service. Written before the call and
 * cleared after its outcome is recorded, so a killed process knows what to resume.
 */
export const Intent = z.object({
  id: z.string(),
  kind: z.enum(['create', 'patch', 'run', 'delete']),
  /** ISO time the intent was written. */
  startedAt: z.string(),
  /** Hash of the normalised spec the call sends (create, patch). */
  specHash: z.string().optional(),
  /**
   * For a patch: the paths of what it changes that the Audiences API never shows (a field's
   * labels, `fields.NAME.labels`), which reading the audience back cannot settle
   * (patch-readback.ts). Absent in intents of earlier releases, whose read back cannot tell
   * either: it settles what the service shows only, as those releases did.
   */
  unseenChanged: z.array(z.string()).optional(),
  /** For a run: why it was started (see RunRecord.reason). */
  runReason: z.string().optional(),
  /** For a run: the `dataFilterStartTime` sent; a run that reports another one is not this request's. */
  dataFilterStartTime: z.number().optional(),
  /**
   * For a run: the ids of the audience's runs the service listed just before the request (absent
   * when it could not be listed, and in intents of earlier releases). A run not among them is
   * new since; with `listedAll` false the list may have been cut, so absence proves nothing.
   */
  knownRunIds: z.array(z.string()).optional(),
  listedAll: z.boolean().optional(),
  /**
   * For a run: how many runs the service counted (`_page.totalCount`) in that list, where it was
   * a page that may lack the newest runs (oldest first, cut): the same count after the request
   * says it started none (run-intent.ts), where no run on the page can.
   */
  countedBefore: z.number().int().nonnegative().optional(),
  /**
   * For a delete: set when it is a replace's, whose create follows. Once the audience is gone,
   * the record stays for that create, with its `applied` and its runs of the last day, marked
   * as its own (current-runs.ts, keptByReplace): they count against the sandbox's daily run
   * budget until they are a day old.
   * Absent: a removed manifest's delete, which keeps those runs as a runs-only record
   * (runsOnlyRemnant), whether answered or settled after a kill (keptAfterDelete); so do the
   * intents of earlier releases, which had no mark.
   */
  forReplace: z.literal(true).optional(),
  /**
   * For a delete: the audience the DELETE goes to. A record whose create's operation had not
   * given its id yet holds none (the delete step reads the operation for it), and its resume
   * reads the service for this one (review 24, M1). Absent in intents of earlier releases: the
   * record's `audienceId`, or its operation's, is the one. For a run kept as
   * AudienceRecord.unansweredRun: the audience its request went to.
   */
  audienceId: z.string().optional(),
});
export type Intent = z.infer<typeof Intent>;

/**
 * The git commit the manifests were checked out at when a spec was applied (docs/state.md,
 * "Which commit was applied"): an apply of a checkout that does not contain it is refused.
 */
export const AppliedRevision = z.object({
  /** Full commit id: SHA-1, or SHA-256 in a repository that uses it. */
  commit: z.string().regex(COMMIT_ID),
  /**
   * The commit's committer time, ISO 8601 in UTC: compared with the checkout's HEAD when the
   * commit is not in the checkout (a shallow clone), where git cannot tell their order.
   */
  committedAt: z.string(),
});
export type AppliedRevision = z.infer<typeof AppliedRevision>;

/**
 * A sandbox's mark (StateMeta.revisions): the commit last applied to it, and the repository it
 * was applied from when known (src/source/work-tree-repository.ts): a plan of another repository
 * sharing the store is checked against that repository's own last mark, kept beside it
 * (otherRepositories), not against this one (plan/older-checkout.ts, marksOfRepository).
 */
const OwnMark = AppliedRevision.extend({
  repository: z.string().optional(),
  /**
   * The root commits of the history applied from (`git rev-list --max-parents=0 HEAD`), sorted,
   * when known (not from a shallow clone, nor outside git): two marks whose repositories' paths
   * differ by a prefix (`marketing/emea/audiences` and `emea/audiences`, GitLab subgroups) are of
   * two repositories when their roots share none, and of one (a mirror's path) otherwise
   * (sandbox-revisions.ts, sameMarkRepository). Absent in marks of earlier releases, which read
   * the mark without it (and drop it when they move the mark): such a mark is compared by its
   * path alone, as they did.
   */
  roots: z.array(z.string().regex(COMMIT_ID)).optional(),
  /**
   * Applied from a shallow history (a shallow clone, a controller's `--git-depth` fetch): its
   * root commits are not known, as its cut-off commits have no parents there and would pass for
   * roots, so none are recorded, and a repository whose path differs from this one's by a prefix
   * is taken for this one, as the paths say (sameMarkRepository). Said so that a refusal by this
   * mark names why the two were not told apart, and the way out (a full history). Absent
   * otherwise; an earlier release reads the mark without it.
   */
  shallow: z.literal(true).optional(),
  /**
   * The commits this sandbox was rolled back from (`apply --allow-older-checkout` moved its mark
   * back), newest rollback first, at most ROLLBACKS_KEPT: a checkout whose HEAD contains one
   * and was committed before its rollback (a clone never fetched since) is refused what the mark
   * refuses (plan/rolled-back.ts). Kept while the mark is a commit made before that rollback;
   * absent when none. Optional: an earlier release reads the mark without it.
   */
  rolledBackFrom: z
    .array(
      AppliedRevision.extend({
        /** The commit the rollback applied (the mark it set). */
        to: z.string().regex(COMMIT_ID),
        /** When the rollback was applied, ISO 8601 in UTC. */
        at: z.string(),
      }),
    )
    .optional(),
});

/**
 * The last mark of another repository that applied to a sandbox (SandboxMark.otherRepositories):
 * a plan of that repository is checked against it while another's mark is on top.
 */
export const RepositoryMark = OwnMark.extend({ repository: z.string() });
export type RepositoryMark = z.infer<typeof RepositoryMark>;

export const SandboxMark = OwnMark.extend({
  /**
   * The last mark of each other repository that applied to this sandbox (its marks of a known
   * repository it replaced), the most recently replaced first, at most REPOSITORIES_KEPT
   * (sandbox-revisions.ts): two repositories taking turns on one sandbox each keep theirs, so a
   * stale clone of one is still refused what its own newer commit removed. Absent when none.
   * Optional: an earlier release reads the mark without it (and drops it when it moves the mark).
   */
  otherRepositories: z.array(RepositoryMark).optional(),
});
export type SandboxMark = z.infer<typeof SandboxMark>;
export type RolledBackFrom = NonNullable<SandboxMark['rolledBackFrom']>[number];

export const AppliedSpec = z.object({
  spec: NormalSpec,
  hash: z.string(),
  /** The `ingestion.request` token last honoured with a run. */
  ingestionRequest: z.string().optional(),
  /** ISO time of the apply. */
  at: z.string(),
  /**
   * The commit of the manifests applied; absent outside a git work tree, with the embedded
   * emulator, and in records written before it existed. Optional, so the record stays in
   * format 1: an earlier release reads the record without it and drops it on its next write,
   * which loses only the order check, never the audience.
   */
  revision: AppliedRevision.optional(),
});
export type AppliedSpec = z.infer<typeof AppliedSpec>;

/**
 * A create as it was POSTed: written with its create intent, kept with the operationId its
 * answer gave, and dropped once the audience id is recorded. A resumed create sends this body
 * again (the service refuses its name twice), finds its audience under this name, and records
 * this spec as applied, whatever the manifest says by then: the next plan changes the audience
 * to the manifest as it is. Absent in records written before it existed, which resume as they
 * did. Optional, so the record stays in format 1: an earlier release drops it on its next write
 * and resumes as it always did.
 */
export const PendingCreate = z.object({
  /** The POST body, as the manifest gave it. */
  body: AudienceSpec,
  /** Its normalised spec and that spec's hash (the intent's `specHash`). */
  spec: NormalSpec,
  hash: z.string(),
  /**
   * AEP's clock minus the clock of the machine that wrote the create's latest time, in whole
   * seconds, as an answer's Date header showed it (measuredOffset): written with the create
   * intent (its `startedAt`; one audience of the sandbox is read first when no answer showed
   * AEP's clock lately), and again with the POST's answer (its `observed.at`, perhaps another
   * machine's resuming the create). Absent when none was measured, and in records of earlier
   * releases (an earlier release drops it on its next write). That machine's clock and an
   * audience's creation time (AEP's) are compared in AEP's clock by it (createBegan in
   * create-window.ts), whichever machine looks later. At most MAX_CLOCK_OFFSET_SECONDS either
   * way: a larger value (a hand edit, a proxy's wrong Date) is read as absent, so that it cannot
   * take a month-old audience for the create's own.
   */
  clockOffset: z
    .number()
    .int()
    .min(-MAX_CLOCK_OFFSET_SECONDS)
    .max(MAX_CLOCK_OFFSET_SECONDS)
    .optional()
    .catch(undefined),
  /**
   * AEP's clock when the create intent was written, at the earliest (epoch ms): the Date header
   * of the latest answer before it (its second had begun when the answer arrived) plus the time
   * since that answer arrived, on a clock that does not jump. Any POST of this create, sent after,
   * made its audience no earlier (state/create-window.ts). Absent when no answer had shown AEP's
   * clock lately, and in records of earlier releases (which drop it on their next write). One
   * further from the intent's own time than MAX_CLOCK_OFFSET_SECONDS is read as absent.
   */
  earliestAepMs: z.number().int().positive().optional().catch(undefined),
  /**
   * The latest POST of this create sent after its first (an apply resuming the intent, once the
   * wait for the earlier POST to show had passed: apply/steps/create-hold.ts), written before it
   * was sent: `at`, the writing machine's clock; `earliestAepMs`, AEP's clock then at the earliest
   * (as above), when an answer showed it lately. A create is not POSTed again until the service's
   * wait to show an accepted create has passed since it (or, absent, since the intent). Absent
   * until a create is sent again, and in records of earlier releases (which drop it on their
   * next write).
   */
  repeated: z
    .object({ at: z.string(), earliestAepMs: z.number().int().positive().optional().catch(undefined) })
    .optional()
    .catch(undefined),
});
export type PendingCreate = z.infer<typeof PendingCreate>;

export const AudienceRecord = z.object({
  /**
   * The record's format: 2 when a run carries `formerAudienceId` (see recordFormat), else 1.
   * Releases from before the mark read format 1 only: they refuse such a record rather than
   * drop the mark on their next write, and count the deleted audience's runs as its own.
   */
  schemaVersion: z.union([z.literal(1), z.literal(2)]),
  sandbox: z.string(),
  key: z.string(),
  operationId: z.string().optional(),
  audienceId: z.string().optional(),
  deletionPolicy: z.enum(['Delete', 'Orphan']).default('Delete'),
  /**
   * The manifest file (relative to the source root) of the last create, update or run:
   * a plan with --include/--exclude may remove only records whose file they read.
   * Absent in records written before it existed.
   */
  manifestFile: z.string().optional(),
  /**
   * The directory `manifestFile` is relative to, as read-source-root.ts names it: from the top of
   * the git work tree (`teams/mkt`), else absolute. A plan of another directory holds the
   * record's removal while that file still names it (read-elsewhere.ts, `beside`): applying
   * `teams/web` to the store `teams/mkt` was applied to deleted mkt's audiences. Absent in
   * records written before it existed, or by a plan that could not tell it.
   */
  sourceRoot: z.string().optional(),
  /**
   * The hosted repository `sourceRoot` is in, as src/source/work-tree-repository.ts names it
   * (`acme/audiences`): a plan of another repository holds the record's removal (two
   * repositories sharing the store, each with an `audiences/` directory). Absent when the apply
   * could not tell it (outside git, no remote), and in records written before it existed.
   */
  repository: z.string().optional(),
  /**
   * What audiencectl last applied (the create body or the spec after a PATCH). Without an
   * audienceId: what was applied of the audience a replace deleted, or a refresh found deleted
   * outside audiencectl, kept while the service may still hold its name, until the create is
   * recorded (state/current-runs.ts keptByReplace, keptByRefresh; apply/steps/create.ts).
   */
  applied: AppliedSpec.optional(),
  /** What the service last returned about the audience (operation lookup or PATCH). */
  observed: z
    .object({
      /** `audiences`: read from the Audiences API (an adopted or refreshed audience). */
      source: z.enum(['operation', 'patch', 'audiences']),
      at: z.string(),
      body: z.record(z.string(), z.unknown()),
    })
    .optional(),
  /** Most recent runs first; bounded. */
  runs: z.array(RunRecord).default([]),
  intent: Intent.optional(),
  /** The create in progress, while its audience id is not recorded (see PendingCreate). */
  pendingCreate: PendingCreate.optional(),
  /**
   * Set by `state import`: the audience existed before audiencectl recorded it, so its
   * first run counts as done and the next run is differential from `at`; the manifest's
   * `ingestion.request` token at import time counts as honoured.
   */
  imported: z
    .object({
      at: z.string(),
      ingestionRequest: z.string().optional(),
      /**
       * The commit of the manifests imported from (HEAD of their git work tree), as
       * AppliedSpec.revision: until an apply records one, an older checkout's apply may not
       * delete or PATCH back the audience (plan/older-checkout.ts, recordRevision). Absent
       * outside git and in records written before it existed; optional for the same reason.
       */
      revision: AppliedRevision.optional(),
      /**
       * The audience's name when it was imported (its manifest's `spec.name`, which the
       * service confirmed when credentials were given): until an apply records a spec, how a
       * changed `metadata.name` is told from a removed manifest (a blocked move, not a delete
       * and a create; plan/drift.ts knownName). Absent in records written before it existed.
       */
      name: z.string().optional(),
      /**
       * Set by a `state import` that could not ask the service (no AEP credentials): nothing
       * showed that the id names an audience of `name`. Before its first PATCH or run, the
       * apply reads the audience, blocks if the id names another, and drops the mark once it
       * has seen `name` (apply/unverified-import.ts). Optional, so the record stays in format
       * 1: an earlier release drops it, and PATCHes without that check, as it always did.
       */
      unverified: z.literal(true).optional(),
      /**
       * The service's count of the audience's runs (`_page.totalCount`) just before `at`, where
       * the import could read one: while it is the same, no run has begun since the import, so
       * the runs past a page of the list cut short by it are history (state/hidden-runs.ts).
       * Optional, so the record stays in format 1: an earlier release drops it.
       */
      runsCounted: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /**
   * A first PATCH of an imported, discovered or adopted audience that the service refused
   * (100960-422 naming a listed field, apply/steps/update.ts fieldsRefused): the
   * audience's fields differ from the manifest's (a PATCH cannot add a field or change its
   * type; the Audiences API does not show them, so import and adoption could not compare
   * them). `specHash` is the hash of the manifest's spec then: while it is the same, the plan
   * blocks the update rather than send it again on every apply; changed (its fields set to the
   * audience's, say), or planned with --refresh, it PATCHes again. Cleared by a PATCH that succeeds. Optional, so the
   * record stays in format 1: an earlier release drops it and PATCHes again.
   */
  patchRefused: z.object({ at: z.string(), specHash: z.string(), message: z.string() }).optional(),
  /**
   * Properties the service may hold otherwise than `applied` says: a PATCH of unknown outcome
   * (a 5xx, a lost answer, a killed apply) sent them, and the Audiences API never shows them
   * (Intent.unseenChanged), so reading the audience back could not tell whether it holds them.
   * The plan PATCHes them to the manifest, even one equal to `applied` (plan/unknown-after-patch.ts);
   * a PATCH answered clears the mark. Optional, so the record stays in format 1: an earlier
   * release drops it, and plans from `applied` as it always did.
   */
  unknownAfterPatch: z.object({ at: z.string(), paths: z.array(z.string()) }).optional(),
  /**
   * A run request whose answer never came (a 5xx such as a gateway's 504, a timeout, a killed
   * apply), settled as having started no run because the runs list showed none from it then:
   * its run intent, kept once cleared. The service may still be working on it (a gateway
   * answers 504 while the service behind goes on; a killed apply's request lands as the next
   * one starts), and the run it then starts is this request's, not a stranger's: a run step
   * adopts it (apply/unanswered-run.ts) instead of being blocked by it as untraced. Dropped once
   * a run the record did not hold is recorded. Optional, so the record stays in format 1: an
   * earlier release drops it, and blocks over such a run as it always did.
   */
  unansweredRun: Intent.optional(),
  /**
   * A DELETE whose answer never came (a killed apply, a lost connection), settled as not done
   * because the service still showed the audience then: its delete intent (with `audienceId`),
   * kept once cleared. The DELETE may still land (a gateway or the service behind it goes on
   * with it), and the record would then name an audience that is gone: every plan reads that
   * audience first (apply/late-delete.ts), as a refresh would, and plans its create again once
   * it is gone. Dropped when the record names another audience, and by an apply once the DELETE
   * can no longer land (LATE_DELETE_LANDS_WITHIN_MS). Optional, so the record stays in format
   * 1: an earlier release drops it, and trusts the record as it always did.
   */
  unansweredDelete: Intent.optional(),
  /** Set when the audience needs a person (e.g. it exists remotely but its id is unknown). */
  blocked: z
    .object({
      code: z.string(),
      message: z.string(),
      at: z.string(),
      /**
       * The name the service refused the create (a 409 with an audience listed under it that is
       * not this record's): the block is about that name, and lifts once the manifest names
       * another (plan/name-block.ts). Absent in blocks written before it existed, which stay.
       */
      name: z.string().optional(),
      /**
       * The ids of the audiences the service listed under that name (at most 5), so the plan
       * and a later apply print the finished `state import` when there was exactly one.
       * Absent in blocks written before it existed: their hints keep the AUDIENCE_ID placeholder.
       */
      found: z.array(z.string()).optional(),
    })
    .optional(),
});
export type AudienceRecord = z.infer<typeof AudienceRecord>;
export type AudienceRecordInput = z.input<typeof AudienceRecord>;

export const StateMeta = z.object({
  /** meta.json's format (meta-format.ts): 2 when it holds `orgs`. */
  schemaVersion: z.union([z.literal(1), z.literal(2)]),
  /** Identifies one store for its whole life; a saved plan names the lineage it was made for. */
  lineage: z.string(),
  /** Grows by one with every write; a saved plan is refused once it has moved. */
  serial: z.number().int().min(0),
  /**
   * A random token written afresh with every serial, so `lineage` + `serial` + `nonce` name one
   * write's content: a store restored from a backup that then takes as many writes as it lost is
   * at the same serial again, with other records and another nonce (src/daemon/cached-reads.ts).
   * Absent in stores written before it existed, until their next write; an earlier release drops
   * it on its next write. It leaves the format alone.
   */
  nonce: z.string().optional(),
  /**
   * The IMS org of each sandbox's records (sandbox -> `…@AdobeOrg`): set by the first write
   * to the sandbox of a command that calls AEP, then refused to every other org (see
   * org-binding.ts). Absent in stores written before it existed, and until such a write.
   */
  orgs: z.record(z.string(), z.string()).optional(),
  /**
   * The commit last applied to each sandbox (sandbox -> mark): set by every write of an apply
   * (or a controller's pass) with a commit, in the write that moves the serial, and by such an
   * apply that wrote nothing there (StateStore.markRevision), so that an older checkout cannot
   * create again what a newer commit removed, nor undo what one kept (plan/older-checkout.ts).
   * Absent in stores written before it existed, and outside git. It leaves the format alone:
   * an earlier release reads the meta without it and drops it on its next write, which loses
   * only that check, as with AppliedSpec.revision.
   */
  revisions: z.record(z.string(), SandboxMark).optional(),
});
export type StateMeta = z.infer<typeof StateMeta>;

/** Everything the planner knows about the remote side. */
export type RecordedState = {
  meta: StateMeta | undefined;
  audiences: AudienceRecord[];
};
