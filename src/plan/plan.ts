import type { DesiredManifest, LoadResult } from '../manifest/load.js';
import { recordId, type AudienceRecord, type RecordedState } from '../state/schema.js';
import { diffSpecs, fullPatchBody, patchBody } from './diff.js';
import { guardDeletions, type DeletionGuardOptions } from './guards.js';
import { compareText, normaliseSpec, specHash } from './normalise.js';
import { leftoverRecords, type PlanScope } from './removals.js';
import {
  applyRunBudget,
  DEFAULT_RUN_BUDGET,
  dueRun,
  failedRuns,
  onCreateRun,
  type RunBudget,
} from './runs.js';
import type { AppliedTarget, Plan, PlanSummary, RunRequest, Step } from './schema.js';

export type PlanOptions = DeletionGuardOptions & {
  /** Epoch seconds; the planner reads no clock. */
  now: number;
  /** Let every audience be replaced, as if each had `metadata.allowReplace`. */
  allowReplace: boolean;
  runBudget?: RunBudget;
  /** Set with --include/--exclude: only records whose manifest file they read may be removed. */
  scope?: PlanScope | undefined;
};

const KIND_ORDER = { create: 0, replace: 1, update: 2, run: 3, delete: 4, forget: 4, move: 5 } as const;

function targetOf(desired: DesiredManifest): AppliedTarget {
  const spec = normaliseSpec(desired.manifest.spec);
  const { request } = desired.manifest.ingestion;
  return {
    spec,
    hash: specHash(spec),
    ...(request === undefined ? {} : { ingestionRequest: request }),
    deletionPolicy: desired.manifest.metadata.deletionPolicy,
  };
}

/**
 * An update records the token the audience already honoured: only the run step honours a
 * new `ingestion.request`, so a run deferred by the budget is still owed next time.
 */
function honouring(target: AppliedTarget, token: string | undefined): AppliedTarget {
  const kept: AppliedTarget = { ...target };
  delete kept.ingestionRequest;
  return token === undefined ? kept : { ...kept, ingestionRequest: token };
}

function stepFor(desired: { sandbox: string; key: string }, kind: Step['kind'], reason: string): Step {
  return {
    id: `${desired.sandbox}/${desired.key}:${kind}`,
    sandbox: desired.sandbox,
    key: desired.key,
    kind,
    reason,
    changes: [],
  };
}

function runStep(desired: DesiredManifest, run: RunRequest, audienceId?: string, dependsOn?: string): Step {
  const reason = run.reason.startsWith('request:')
    ? `ingestion.request changed to "${run.reason.slice(8)}"`
    : ({
        onCreate: 'first run after creation (ingestion.onCreate)',
        every: `periodic run (every ${desired.manifest.ingestion.every ?? ''})`,
      }[run.reason] ?? run.reason);
  return {
    ...stepFor(desired, 'run', reason),
    source: `${desired.file}:${desired.line}`,
    ...(audienceId ? { audienceId } : {}),
    run,
    ...(dependsOn ? { dependsOn } : {}),
  };
}

/** Steps that bring one desired audience in line with its record. */
function stepsForDesired(
  desired: DesiredManifest,
  record: AudienceRecord | undefined,
  options: PlanOptions,
): Step[] {
  const target = targetOf(desired);
  const source = `${desired.file}:${desired.line}`;
  const creation = (kind: 'create' | 'replace', reason: string, extra: Partial<Step> = {}): Step[] => {
    const step: Step = {
      ...stepFor(desired, kind, reason),
      source,
      create: desired.manifest.spec,
      target,
      ...extra,
    };
    const first = onCreateRun(desired);
    return first && !step.blocked ? [step, runStep(desired, first, undefined, step.id)] : [step];
  };

  if (!record) return creation('create', 'new manifest');
  if (record.blocked) {
    return [
      {
        ...stepFor(desired, 'create', record.blocked.message),
        source,
        blocked: `${record.blocked.message}; once you know its id, run: audiencectl state import ${desired.key} --sandbox ${desired.sandbox} --audience-id <id>`,
      },
    ];
  }
  if (!record.audienceId)
    return creation('create', 'resume: the create was interrupted before its audience id was recorded');

  const audienceId = record.audienceId;
  const steps: Step[] = [];
  if (!record.applied) {
    steps.push({
      ...stepFor(
        desired,
        'update',
        'imported audience: PATCH its changeable properties to match the manifest',
      ),
      source,
      audienceId,
      patch: fullPatchBody(target.spec),
      target: honouring(target, record.imported?.ingestionRequest),
    });
  } else {
    // Equal hashes of normalised specs mean equal specs: skip the property-by-property diff.
    const changes = record.applied.hash === target.hash ? [] : diffSpecs(record.applied.spec, target.spec);
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
    if (record.deletionPolicy !== target.deletionPolicy) {
      changes.push({
        path: 'metadata.deletionPolicy',
        before: record.deletionPolicy,
        after: target.deletionPolicy,
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
    if (changes.length > 0) {
      steps.push({
        ...stepFor(desired, 'update', `${changes.map((c) => c.path).join(', ')} changed`),
        source,
        audienceId,
        changes,
        patch: patchBody(changes, target.spec),
        target: honouring(target, record.applied.ingestionRequest),
      });
    }
  }
  const run = dueRun(desired, record, options.now);
  if (run) steps.push(runStep(desired, run, audienceId));
  return steps;
}

/** Steps by kind that will be applied; blocked and deferred ones counted apart. */
export function summarise(steps: readonly Step[]): PlanSummary {
  const summary: PlanSummary = {
    create: 0,
    update: 0,
    replace: 0,
    delete: 0,
    forget: 0,
    run: 0,
    move: 0,
    blocked: 0,
    deferred: 0,
  };
  for (const step of steps) {
    // A move is always blocked; it is counted both as a move and as blocked.
    if (step.kind === 'move') summary.move += 1;
    if (step.blocked) summary.blocked += 1;
    else if (step.deferred) summary.deferred += 1;
    else summary[step.kind] += 1;
  }
  return summary;
}

/**
 * The pure heart of audiencectl: desired manifests x recorded state -> the ordered
 * steps that close the gap. No I/O and no clock (`options.now`), so it is cheap to
 * test exhaustively and gives the same plan for the same inputs.
 */
export function plan(desired: LoadResult, recorded: RecordedState, options: PlanOptions): Plan {
  const records = new Map(recorded.audiences.map((r) => [recordId(r.sandbox, r.key), r]));
  const leftovers = leftoverRecords(desired, records, options.scope);

  const steps: Step[] = [];
  for (const manifest of desired.manifests) {
    const id = recordId(manifest.sandbox, manifest.key);
    // Its record is in another sandbox: the blocked move stands for it, never a create.
    if (leftovers.moveTargets.has(id)) continue;
    steps.push(...stepsForDesired(manifest, records.get(id), options));
  }

  const { removals, moves, held, outside } = leftovers;
  guardDeletions(
    removals,
    {
      desiredCount: desired.manifests.length,
      failedFiles: desired.failedFiles.length,
      // Records out of scope are not this plan's to remove.
      managed: records.size - outside,
    },
    options,
  );

  const byAudience = (a: Step, b: Step): number =>
    compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  const ordered = [...steps.sort(byAudience), ...[...moves, ...removals].sort(byAudience)];
  applyRunBudget(ordered, records, options.runBudget ?? DEFAULT_RUN_BUDGET, options.now);
  held.sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
  const failed = failedRuns(desired.manifests, records, ordered).sort(
    (a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key),
  );

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
    ...(options.scope
      ? { scope: { include: [...options.scope.include], exclude: [...options.scope.exclude], outside } }
      : {}),
    diagnostics: desired.diagnostics,
  };
}
