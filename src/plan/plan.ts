import type { Diagnostic } from '../manifest/diagnostics.js';
import type { DesiredManifest, LoadResult } from '../manifest/load.js';
import type { UnreadBase } from './assumed-state.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { holdsOnlyFormerRuns } from '../state/current-runs.js';
import { knownSpecHash } from '../manifest/spec-hash-memo.js';
import { diffSpecs, fullPatchBody, patchBody } from './diff.js';
import { guardDeletions, guardRecreates, replaceForbidden, type DeletionGuardOptions } from './guards.js';
import { compareText } from '../text/compare.js';
import { leftoverRecords, type PlanScope } from './removals.js';
import { carriedRecord, carriedSteps } from './carried-steps.js';
import type { ManifestElsewhere } from './elsewhere.js';
import { appliedBelow, asAppliedFrom } from './applied-from.js';
import { rerecordsRepository, rerooted, stepsRoot } from '../manifest/source-root.js';
import {
  applyRunBudget,
  clockHeldRun,
  DEFAULT_RUN_BUDGET,
  failedRuns,
  nextDataFilterStart,
  onCreateRun,
  type RunBudget,
} from './runs.js';
import { driftOf, liveOf, liveRead, refreshReport, withDrift } from './drift.js';
import { adoptStep, unlookedAdoptStep } from './adopt.js';
import { ttlOutsideWarnings } from './ttl-outside.js';
import { unknownAfterPatchOf, withUnknown } from './unknown-after-patch.js';
import { resumeCreate } from './resume-create.js';
import { pendingIntents } from './pending.js';
import { blockedImportHint, blockedNameWayOut, nameLeftBehind } from './name-block.js';
import { guardRecordedNames } from './name-holders.js';
import type {
  AdoptView,
  HeldAudience,
  PlainStep,
  Plan,
  RefreshReport,
  RefreshView,
  RunsRead,
  Step,
} from './schema.js';
import { copiedHold, copiesOf } from './copied.js';
import { runsInProgress, withRunsRead } from './runs-in-progress.js';
import { desiredHash, honouring, lazyTarget, runStep, stepFor, updateReason } from './step-builders.js';
import { dueRunOf, type DueRun } from './base-runs.js';
import { summarise } from './summary.js';
import { planClock, runClock, type RunClock } from './clock.js';
import type { PasteFlags } from '../text/paste-flags.js';
import { unverifiedImport } from './unverified-import.js';
import { importedRename } from './imported-rename.js';
import { waitingEdits, waitingReason } from './waiting-edits.js';
import { otherHistories } from './other-histories.js';

export { summarise } from './summary.js';

export type PlanOptions = DeletionGuardOptions & {
  /** Epoch seconds; the planner reads no clock. */
  now: number;
  /**
   * AEP's clock minus the local one, in seconds, measured just before planning (apply, the
   * controller); undefined when not measured (`plan` without network). Beyond
   * CLOCK_TOLERANCE_SECONDS, runs are timed and budgeted in AEP's clock (README, "When runs start, and whose clock times them").
   */
  clockOffset?: number | undefined;
  /** Let every audience be replaced, as if each had `metadata.allowReplace`. */
  allowReplace: boolean;
  runBudget?: RunBudget;
  /** Set with --include/--exclude: only records whose manifest file they read may be removed. */
  scope?: PlanScope | undefined;
  /**
   * Manifests the plan did not read (outside --include/--exclude, above the directory given)
   * that name a key it would remove: those removals are held. Looked up by the caller only
   * when a plan without them removes something (src/apply/held-elsewhere.ts).
   */
  elsewhere?: readonly ManifestElsewhere[] | undefined;
  /** With --refresh: the recorded audiences as the service showed them, read before planning. */
  refresh?: RefreshView | undefined;
  /**
   * Without --refresh: the recorded audiences that a DELETE of unknown outcome may still remove
   * (AudienceRecord.unansweredDelete, apply/late-delete.ts), read before planning as a refresh
   * reads them: a plan never trusts such a record unread. Not a refresh (no refresh report).
   */
  lateDeletes?: RefreshView | undefined;
  /** `--adopt`: every manifest without a record adopts an audience of its name (as `metadata.adopt`). */
  adopt?: boolean | undefined;
  /**
   * Runs left in progress by an earlier apply or pass (after --run-wait), read again before
   * planning (apply/left-runs.ts): the plan decides on what the service answered, and says which
   * runs still run or could not be read.
   */
  runsRead?: RunsRead | undefined;
  /** The audiences of each adoptable manifest's name, read before planning. */
  adoptView?: AdoptView | undefined;
  /** `plan --base`: what the base holds but could not be read (assumed-state.ts). */
  unreadBase?: UnreadBase | undefined;
  /**
   * The flags (`--state`, `--config`, …) the commands a step tells a person to run carry, so
   * that they reach this process's store and configuration; none by default, and none in a
   * plan others read (JSON, Markdown) or a saved plan compares (src/text/paste-flags.ts).
   */
  paste?: PasteFlags | undefined;
  /**
   * The directory given, as records keep it (`sourceRoot`, src/manifest/read-source-root.ts);
   * undefined when unknown (`plan --base`, whose records are assumed). A record of a manifest
   * read that names another directory, or none (written by an earlier release, or left by a
   * no-change apply after a `git mv`), gets it: a record-only change, so that a plan of another
   * directory holds the audience's removal while its file is here (elsewhere.ts, `beside`).
   */
  sourceRoot?: string | undefined;
  /**
   * The hosted repository of the directory given, as records keep it (`repository`,
   * src/source/work-tree-repository.ts); undefined when unknown. A record of a manifest read
   * that names another, or none, gets it (a record-only change); a record of another repository
   * whose manifest the plan does not read is held, not removed (removals.ts).
   */
  repository?: string | undefined;
  /**
   * The root commits of the history planned (SandboxMark.roots), when known (not in a shallow
   * clone or a `--git-depth` controller's): a record of a repository whose path differs from
   * `repository`'s by a prefix and whose marks record other roots is another repository's, left
   * alone (other-histories.ts), not held as a removal the paths cannot tell.
   */
  roots?: readonly string[] | undefined;
  /**
   * Audiences left out of `read` and `readState`, each a manifest read and its record in sync
   * (src/plan/quiet.ts planQuiet): counted where the deletion guards count the manifests read and
   * the audiences this plan could remove, as they would be were they planned. Default 0.
   */
  quietPairs?: number | undefined;
};

/** Drift found while planning, for the plan's refresh report. */
type DriftLog = RefreshReport['drifted'];

const KIND_ORDER = {
  create: 0,
  adopt: 0,
  replace: 1,
  update: 2,
  run: 3,
  delete: 4,
  forget: 4,
  move: 5,
} as const;

/** Why this manifest adopts rather than creates, when it does. */
export function wantsAdoption(
  desired: DesiredManifest,
  options: Pick<PlanOptions, 'adopt'>,
): string | undefined {
  if (desired.manifest.metadata.adopt === true) return 'metadata.adopt';
  return options.adopt && desired.manifest.metadata.adopt !== false ? '--adopt' : undefined;
}

/**
 * An audience exactly as recorded, nothing due: what stepsForDesired would find step by
 * step (no drift to read, nothing unknown since an interrupted PATCH, the same spec hash,
 * deletion policy and file, no run due), told without building a step's parts, as most
 * audiences of a large plan are. Only with the
 * loader's spec hash (spec-hash-memo.ts); without it the long way hashes the spec.
 */
function inSync(
  desired: DesiredManifest,
  record: AudienceRecord | undefined,
  options: PlanOptions,
  clock: RunClock,
  root: string | undefined,
): boolean {
  if (
    !record?.applied ||
    record.blocked ||
    unknownAfterPatchOf(record) ||
    !record.audienceId ||
    liveRead(options, record)
  )
    return false;
  const hash = knownSpecHash(desired.manifest);
  return (
    hash !== undefined &&
    record.applied.hash === hash &&
    record.deletionPolicy === desired.manifest.metadata.deletionPolicy &&
    (record.manifestFile === undefined || record.manifestFile === desired.file) &&
    !rerooted(record.sourceRoot, root) &&
    !rerecordsRepository(record.repository, options.repository) &&
    dueRunOf(desired, record, clock, options.unreadBase) === undefined &&
    clockHeldRun(desired, record, clock) === undefined
  );
}

/** The step of a run due (dueRunOf), with what it adds to the reason. */
function dueRunStep(desired: DesiredManifest, due: DueRun, audienceId: string): Step {
  const step = runStep(desired, due.run, audienceId);
  return due.note === undefined ? step : { ...step, reason: `${step.reason}: ${due.note}` };
}

/**
 * Steps that bring one desired audience in line with its record. `root`: the directory its
 * file is relative to, as records keep it (PlanOptions.sourceRoot), if known.
 */
function stepsForDesired(
  desired: DesiredManifest,
  record: AudienceRecord | undefined,
  options: PlanOptions,
  drifted: DriftLog,
  records: readonly AudienceRecord[],
  clock: RunClock,
  root: string | undefined,
): Step[] {
  if (inSync(desired, record, options, clock, root)) return [];
  const target = lazyTarget(desired);
  const source = `${desired.file}:${desired.line}`;
  const creation = (kind: 'create' | 'replace', reason: string, extra: Partial<PlainStep> = {}): Step[] => {
    const step: PlainStep = {
      ...stepFor(desired, kind, reason),
      source,
      create: desired.manifest.spec,
      target: target(),
      ...extra,
    };
    const forbidden = kind === 'replace' && !step.blocked ? replaceForbidden(options) : undefined;
    if (forbidden !== undefined) step.blocked = forbidden;
    const first = onCreateRun(desired);
    return first && !step.blocked ? [step, runStep(desired, first, undefined, step.id)] : [step];
  };

  // A runs-only record (its manifest removed, its audience forgotten) adopts as no record does:
  // its audience may well be the one to adopt, and a create would be refused 409 for its name.
  const why = !record || holdsOnlyFormerRuns(record) ? wantsAdoption(desired, options) : undefined;
  if (why && options.adoptView)
    return [adoptStep(desired, target(), options.adoptView, records, why, record)];
  // Every plan that reads the service looks the name up (live.ts); only `plan --base` does not.
  if (why) return [unlookedAdoptStep(desired, desired.manifest.spec.name, why)];
  if (!record) return creation('create', 'new manifest');
  const specName = desired.manifest.spec.name;
  const leftBehind = nameLeftBehind(record, specName);
  if (record.blocked && leftBehind === undefined) {
    const rename = record.blocked.name === undefined ? '' : blockedNameWayOut;
    return [
      {
        ...stepFor(desired, 'create', record.blocked.message),
        source,
        blocked: `${record.blocked.message}; ${blockedImportHint(desired, options.paste, record.blocked.found)}${rename}`,
      },
    ];
  }
  if (!record.audienceId && leftBehind !== undefined) {
    return creation(
      'create',
      `its create was blocked for the name "${leftBehind}", which the manifest no longer names: create "${specName}"`,
    );
  }
  if (!record.audienceId) {
    const resumed = resumeCreate(record, target(), options.paste, {
      now: options.now,
      offset: options.clockOffset,
    });
    return creation('create', resumed.reason, resumed.extra);
  }

  const audienceId = record.audienceId;
  const unknownFrom = options.unreadBase?.specUnknown.get(recordId(desired.sandbox, desired.key));
  if (unknownFrom !== undefined && !record.applied) {
    // The base file has errors: the apply compares with the spec it last applied from an
    // earlier version, which a --base plan does not have. Never shown as less than the apply
    // may do: a replace when one is allowed, else an update (the apply refuses a replacement).
    const unknown = `${unknownFrom} has errors on the base, so the spec the apply last applied from it is unknown to this plan`;
    if (options.allowReplace || desired.manifest.metadata.allowReplace) {
      return creation(
        'replace',
        `${unknown}: the apply replaces the audience if spec.name or another property that cannot be changed in place differs from it, else updates it in place`,
        { audienceId },
      );
    }
    const step: Step = {
      ...stepFor(
        desired,
        'update',
        `${unknown}: the apply updates the audience to this manifest, or refuses if spec.name or another property that cannot be changed in place differs from it (replacement needs metadata.allowReplace)`,
      ),
      source,
      audienceId,
      patch: fullPatchBody(target().spec),
      target: target(),
    };
    const run = dueRunOf(desired, record, clock, options.unreadBase);
    return run ? [step, dueRunStep(desired, run, audienceId)] : [step];
  }
  const live = liveRead(options, record);
  const drift = live ? driftOf(record, live, target().spec, options.paste) : { kind: 'none' as const };
  const note = (kind: RefreshReport['drifted'][number]['kind'], detail: string) =>
    drifted.push({ sandbox: desired.sandbox, key: desired.key, kind, detail });
  if (drift.kind === 'deleted') {
    note('deleted', drift.detail);
    const seen = liveOf(options.refresh, record) ? ' (refresh)' : '';
    return creation('create', `${drift.detail}${seen}: create it again`, {
      goneAudienceId: drift.audienceId,
    });
  }
  if (drift.kind === 'unverified') {
    return [
      {
        ...stepFor(desired, 'update', 'imported without credentials: the id names no audience (refresh)'),
        source,
        audienceId,
        blocked: drift.detail,
      },
    ];
  }
  if (drift.kind === 'renamed') {
    note('renamed', drift.detail);
    return [
      {
        ...stepFor(
          desired,
          'update',
          unverifiedImport(record)
            ? 'imported without credentials: the id names another audience (refresh)'
            : 'renamed outside audiencectl (refresh)',
        ),
        source,
        audienceId,
        blocked: drift.detail,
      },
    ];
  }
  if (drift.kind === 'deactivated') {
    note('deactivated', drift.detail);
    // Blocked as a rename is: PATCHing or running into an audience nobody uses hides it.
    const edits = waitingEdits(desired, record, target);
    return [
      {
        ...stepFor(desired, 'update', waitingReason('deactivated outside audiencectl (refresh)', edits)),
        source,
        audienceId,
        changes: edits,
        blocked: drift.detail,
      },
    ];
  }
  if (drift.kind === 'changed') note('changed', drift.detail);
  // The service refused this manifest's PATCH for its fields: sent again unchanged, it fails
  // again on every apply; a person changes the manifest first, or asks with --refresh.
  const refused = record.patchRefused;
  if (refused !== undefined && !options.refresh && refused.specHash === desiredHash(desired, target)) {
    const held: Step = {
      ...stepFor(desired, 'update', "the service refused the last PATCH: the audience's fields differ"),
      source,
      audienceId,
      blocked: refused.message,
    };
    const run = dueRunOf(desired, record, clock, options.unreadBase);
    return run ? [held, dueRunStep(desired, run, audienceId)] : [held];
  }
  const outside = drift.kind === 'changed' ? drift.changes : [];
  const steps: Step[] = [];
  const renamed = importedRename(record, desired.manifest.spec.name, options.paste);
  if (renamed !== undefined) {
    const { reason, ...extra } = renamed;
    return creation('replace', reason, { audienceId, ...extra });
  }
  if (!record.applied) {
    steps.push({
      ...stepFor(
        desired,
        'update',
        'imported audience: PATCH its changeable properties to match the manifest',
      ),
      source,
      audienceId,
      patch: fullPatchBody(target().spec),
      target: honouring(target(), record.imported?.ingestionRequest),
    });
  } else {
    // Equal hashes of normalised specs mean equal specs: skip the property-by-property diff.
    const own =
      record.applied.hash === desiredHash(desired, target)
        ? []
        : diffSpecs(record.applied.spec, target().spec);
    const changes = withUnknown(withDrift(own, outside), record, record.applied.spec, target().spec);
    const fixed = changes.filter((c) => c.forcesReplacement).map((c) => c.path);
    if (fixed.length > 0) {
      const allowed = options.allowReplace || desired.manifest.metadata.allowReplace;
      const reason = `${fixed.join(', ')} cannot be changed in place (forces replacement)`;
      const blocked = allowed
        ? {}
        : { blocked: 'replacement needs metadata.allowReplace: true in the manifest, or --allow-replace' };
      return creation('replace', reason, { audienceId, changes, ...blocked });
    }
    // Recorded so that removing the manifest later does what it says; no API call.
    if (record.deletionPolicy !== desired.manifest.metadata.deletionPolicy) {
      changes.push({
        path: 'metadata.deletionPolicy',
        before: record.deletionPolicy,
        after: desired.manifest.metadata.deletionPolicy,
        forcesReplacement: false,
      });
    }
    // Kept current so that --include/--exclude know which file the audience comes from.
    if (record.manifestFile !== undefined && record.manifestFile !== desired.file) {
      changes.push({
        path: 'manifest file',
        before: record.manifestFile,
        after: desired.file,
        forcesReplacement: false,
      });
    }
    // And the directory it is relative to, which holds the audience's removal by a plan of
    // another directory while the file is there (elsewhere.ts, `beside`).
    if (rerooted(record.sourceRoot, root)) {
      changes.push({
        path: 'manifest directory',
        ...(record.sourceRoot === undefined ? {} : { before: record.sourceRoot }),
        after: root,
        forcesReplacement: false,
      });
    }
    // And its repository, which holds its removal by a plan of another sharing the store.
    if (options.repository !== undefined && rerecordsRepository(record.repository, options.repository)) {
      changes.push({
        path: 'manifest repository',
        ...(record.repository === undefined ? {} : { before: record.repository }),
        after: options.repository,
        forcesReplacement: false,
      });
    }
    if (changes.length > 0) {
      steps.push({
        ...stepFor(desired, 'update', updateReason(changes)),
        source,
        audienceId,
        changes,
        patch: patchBody(changes, target().spec),
        target: honouring(target(), record.applied.ingestionRequest),
      });
    }
  }
  const run = dueRunOf(desired, record, clock, options.unreadBase);
  if (run) steps.push(dueRunStep(desired, run, audienceId));
  const held = run ? undefined : clockHeldRun(desired, record, clock);
  if (held) {
    const every = { reason: 'every', dataFilterStartTime: nextDataFilterStart(desired, record) };
    steps.push({ ...runStep(desired, every, audienceId), deferred: held });
  }
  return steps;
}

/**
 * The pure heart of audiencectl: desired manifests x recorded state -> the ordered
 * steps that close the gap. No I/O and no clock (`options.now`), so it is cheap to
 * test exhaustively and gives the same plan for the same inputs.
 */
export function plan(read: LoadResult, readState: RecordedState, options: PlanOptions): Plan {
  // A subdirectory of the directory the records were applied from: its files as recorded.
  const under = appliedBelow(options.elsewhere);
  const desired = under === undefined ? read : asAppliedFrom(read, under);
  const root = stepsRoot(options.sourceRoot, under);
  // Runs left in progress, as read again before planning (the caller's reads, as data).
  const recorded = withRunsRead(readState, options.runsRead);
  const records = new Map(recorded.audiences.map((r) => [recordId(r.sandbox, r.key), r]));
  const clock = runClock(options.now, options.clockOffset);
  const leftovers = leftoverRecords(
    desired,
    records,
    options.scope,
    options.elsewhere,
    options.unreadBase !== undefined,
    options.paste,
    options.repository,
    otherHistories(recorded.meta?.revisions, options.repository, options.roots),
  );

  const steps: Step[] = [];
  const drifted: DriftLog = [];
  const copies = copiesOf(options.elsewhere);
  const copied: HeldAudience[] = [];
  for (const manifest of desired.manifests) {
    const id = recordId(manifest.sandbox, manifest.key);
    // Its record is in another sandbox: the blocked move stands for it, never a create.
    if (leftovers.moveTargets.has(id)) continue;
    // A copy of a manifest still in the directory its record was applied from: that one's.
    const copy = copies.get(id);
    if (copy) {
      copied.push(copiedHold(manifest, copy));
      continue;
    }
    const carried = leftovers.carried.get(id);
    if (carried) {
      const from = carriedRecord(carried, manifest);
      const own = stepsForDesired(manifest, from, options, drifted, recorded.audiences, clock, root);
      steps.push(...carriedSteps(own, carried, manifest));
      continue;
    }
    steps.push(
      ...stepsForDesired(manifest, records.get(id), options, drifted, recorded.audiences, clock, root),
    );
  }

  const { moves, outside, otherRepositories } = leftovers;
  const held = [...leftovers.held, ...copied];
  // The base of the default deletion limit: the audiences this plan could remove. Records out of
  // scope, other repositories', remnants (no audience), and those held for a manifest it did not
  // read (another directory's sharing the store) are not its to remove or re-create: counted, they
  // would loosen one team's guard as others join the store.
  const others = [...otherRepositories].map(([repository, count]) => ({ repository, count }));
  const managed =
    records.size -
    outside -
    leftovers.remnants -
    leftovers.heldElsewhere -
    copied.length -
    others.reduce((sum, o) => sum + o.count, 0) +
    (options.quietPairs ?? 0);
  const removals = options.unreadBase
    ? withUnknownPolicy(leftovers.removals, options.unreadBase)
    : leftovers.removals;
  guardRecreates(steps, managed, options);
  guardDeletions(
    [...steps, ...removals],
    {
      desiredCount: desired.manifests.length + (options.quietPairs ?? 0),
      failedFiles: desired.failedFiles.length,
      managed,
    },
    options,
  );
  // After the guards: a delete they block frees no name.
  const nameBlocked = guardRecordedNames([...steps, ...removals], recorded.audiences, options.refresh);
  // A replace a guard blocked creates nothing: its first run goes, as when blocked where planned.
  const blockedReplaces = new Set([
    ...steps.filter((s) => s.kind === 'replace' && s.blocked).map((s) => s.id),
    ...nameBlocked,
  ]);
  const planned = steps.filter(
    (step) => step.dependsOn === undefined || !blockedReplaces.has(step.dependsOn),
  );

  const byAudience = (a: Step, b: Step): number =>
    compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  const ordered = [...planned.sort(byAudience), ...[...moves, ...removals].sort(byAudience)];
  applyRunBudget(ordered, records, options.runBudget ?? DEFAULT_RUN_BUDGET, clock.now);
  const clockReport = planClock(clock, options.clockOffset, records.values());
  held.sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
  const failed = failedRuns(desired.manifests, records, ordered).sort(
    (a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key),
  );
  const pending = pendingIntents(desired.manifests, records.values());
  const inProgress = runsInProgress(records, options.runsRead, ordered);

  return {
    formatVersion: 1,
    state: {
      ...(recorded.meta ? { lineage: recorded.meta.lineage } : {}),
      serial: recorded.meta?.serial ?? 0,
    },
    summary: summarise(ordered),
    steps: ordered,
    held,
    ...(failed.length > 0 ? { failedRuns: failed } : {}),
    ...(inProgress.length > 0 ? { runsInProgress: inProgress } : {}),
    ...(pending.length > 0 ? { pending } : {}),
    ...(clockReport ? { clock: clockReport } : {}),
    ...(options.scope
      ? { scope: { include: [...options.scope.include], exclude: [...options.scope.exclude], outside } }
      : {}),
    ...(options.refresh ? { refresh: refreshReport(options.refresh, drifted) } : {}),
    ...(options.repository !== undefined && others.length > 0
      ? { otherRepositories: { planned: options.repository, recorded: others.sort(byRepository) } }
      : {}),
    diagnostics: [
      ...desired.diagnostics,
      ...(options.unreadBase ? unnamedInBase(options.unreadBase, desired) : []),
      ...ttlOutsideWarnings(desired.manifests, (m) => records.get(recordId(m.sandbox, m.key)), options),
    ],
    ...(under === undefined ? {} : { appliedBelow: under }),
  };
}

const byRepository = (a: { repository: string }, b: { repository: string }) =>
  compareText(a.repository, b.repository);

/** A removal of an audience whose base file has errors: its deletionPolicy there is unknown. */
function withUnknownPolicy(removals: Step[], unread: UnreadBase): Step[] {
  return removals.map((step) => {
    const file = unread.specUnknown.get(recordId(step.sandbox, step.key));
    if (file === undefined || step.kind !== 'delete') return step;
    return {
      ...step,
      reason: `${step.reason} (${file} has errors on the base: its deletionPolicy is unknown to this plan; an Orphan policy would only forget the audience)`,
    };
  });
}

const UNNAMED_WHY = {
  empty: 'holds no manifest (it is empty, or only comments)',
  errors: 'has errors before any audience is named',
  skipped: 'is not read as an audiencectl manifest',
} as const;

/**
 * Base files whose audience (if any) cannot be named, that this plan removes or makes read
 * as manifests: the apply's state has a record from an earlier version of the file, which a
 * --base plan cannot know, so it says so instead of planning "No changes" or a plain create.
 * An error (the plan fails) for an emptied file or one with errors: the apply holds the
 * audience they named, and a PR removing the file deletes it. A warning for a file skipped as
 * not ours: such files are mostly other YAML, which no audience was ever recorded from.
 * A file the working tree still cannot read is held by the apply as on the base: nothing to say.
 */
function unnamedInBase(unread: UnreadBase, desired: LoadResult): Diagnostic[] {
  if (unread.unnamed.size === 0) return [];
  const stillUnread = new Set([...desired.emptyFiles, ...desired.skippedFiles, ...desired.failedFiles]);
  const read = new Set(desired.manifests.map((m) => m.file));
  const out: Diagnostic[] = [];
  for (const [file, why] of unread.unnamed) {
    if (stillUnread.has(file) && !read.has(file)) continue;
    const what = read.has(file)
      ? `this change makes it read as manifests: the steps shown for ${file} assume no audience was recorded from it, where the apply after the merge updates or replaces that audience (or, if its metadata.name differs, blocks it as a move: its file now names another key)`
      : 'this change removes it: the apply after the merge deletes that audience (manifest removed)';
    out.push({
      severity: why === 'skipped' ? 'warning' : 'error',
      file,
      line: 0,
      column: 0,
      rule: 'base/unread-file',
      message: `on the base, ${file} ${UNNAMED_WHY[why]}, so this plan cannot know which audience the apply recorded from an earlier version of it (if any); ${what}. Plan against the real state (\`audiencectl plan --state …\`) to see it`,
    });
  }
  return out;
}
