import type { PendingIntent, Plan, Step } from '../schema.js';
import { runReasonText } from '../run-reason-text.js';

/**
 * The heading of the interrupted calls apply settles before it plans; in apply's own plan, made
 * after it tried to settle them (plan.afterResume), of those it could not settle.
 */
export function pendingHeading(plan: Plan): string | undefined {
  const count = plan.pending?.length ?? 0;
  if (count === 0) return undefined;
  return plan.afterResume
    ? `Not settled (kept for the next apply): ${count}`
    : `Pending (settled by apply before it plans): ${count}`;
}

/**
 * The plan's pending intents as it shows them, in its order: each line true whatever the plan's
 * own steps do (a replace step of the same audience is named), and, in apply's own plan, said as
 * what this apply could not settle, never as what it settles first (review 24, L1, L2).
 */
export function pendingLines(plan: Plan): string[] {
  return (plan.pending ?? []).map((pending) => {
    if (plan.afterResume) return keptLine(pending, settlingStep(plan, pending));
    if (pending.kind !== 'delete') return pendingLine(pending);
    const own = plan.steps.find(
      (step) =>
        step.sandbox === pending.sandbox &&
        step.key === pending.key &&
        (step.kind === 'replace' || step.kind === 'delete'),
    );
    return deleteLine(pending, own);
  });
}

/**
 * What apply does with one pending intent before it plans (src/apply/resume.ts), as the plan
 * says it: only what resume.ts does, never more.
 */
export function pendingLine(pending: PendingIntent): string {
  switch (pending.kind) {
    case 'delete':
      return deleteLine(pending);
    case 'patch':
      return patchLine(pending);
    case 'run':
      return runLine(pending);
  }
}

function idOf(pending: PendingIntent): string {
  return `${pending.sandbox}/${pending.key}`;
}

/** `own`: the plan's replace or delete step of the same audience, if it has one. */
function deleteLine(pending: PendingIntent & { kind: 'delete' }, own?: Step): string {
  const id = idOf(pending);
  // An intent of an earlier release on a record whose create's operation gave the id: its
  // resume reads the operation for it (resume.ts deletedAudienceId).
  const what = pending.audienceId ?? "the audience its create's operation names";
  const head = `${id}: an interrupted delete of ${what} (its outcome unknown): apply reads the service first; `;
  if (pending.manifest) {
    return `${head}if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, ${stillThere(own)}`;
  }
  return `${head}if the audience is gone, the delete is finished; if it is still there, it is deleted only by a delete step of this plan`;
}

/** resume.ts reads the audience back and records what it shows (resumePatch); none without an id. */
function patchLine(pending: PendingIntent & { kind: 'patch' }): string {
  const id = idOf(pending);
  if (pending.audienceId === undefined)
    return `${id}: an interrupted PATCH with no audience id recorded: apply clears it and plans again`;
  // What it sent that no read shows is marked unknown (patch-readback.ts), and PATCHed regardless.
  const unseen = pending.unseen?.join(', ');
  const marks =
    unseen === undefined
      ? ''
      : `, and marks ${unseen} unknown (the PATCH sent them; the service never shows them)`;
  const head = `${id}: an interrupted PATCH of ${pending.audienceId} (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows${marks}; `;
  if (pending.manifest) {
    const except =
      unseen === undefined
        ? ''
        : `, except ${unseen}, PATCHed to the manifest until a PATCH of them is answered`;
    return `${head}the steps below assume the spec recorded before the PATCH, and apply plans again from what it reads: the audience is PATCHed to the manifest whichever spec it holds, and not when it matches${except}`;
  }
  // Not "removed": a manifest whose file has errors (held) or one out of the plan's scope is not
  // read either, and a removed manifest means a deletion here (review 25, L2).
  return `${head}no manifest this plan read names it, so no step of it PATCHes the audience`;
}

/** resume.ts settles it from the audience's runs list (settleRunIntent); none without an id. */
function runLine(pending: PendingIntent & { kind: 'run' }): string {
  const id = idOf(pending);
  if (pending.audienceId === undefined)
    return `${id}: an interrupted run request with no audience id recorded: apply clears it and plans again`;
  return `${id}: an interrupted run request of ${pending.audienceId} (its outcome unknown), for ${runReasonText(pending.runReason)}: apply reads the audience's runs first; if they show the run it started, it is recorded (not asked for again); if none, a run is asked for if still due; if they cannot tell, no run is started until the intent is settled`;
}

/**
 * What becomes of a pending delete's audience found still there: the settling deletes nothing,
 * but the plan's own replace step (a replace's DELETE whose outcome was unknown, its manifest
 * still forcing replacement) then does.
 */
function stillThere(own: Step | undefined): string {
  if (own === undefined) return 'nothing is deleted';
  if (own.blocked !== undefined) return `nothing is deleted (this plan's ${own.kind} step is blocked)`;
  return `the settling deletes nothing, and this plan's ${own.kind} step then ${own.kind === 'replace' ? 'replaces' : 'deletes'} it`;
}

/** The steps that read the service and settle a kept intent of each kind before they act. */
const SETTLED_BY: Record<PendingIntent['kind'], readonly Step['kind'][]> = {
  delete: ['delete', 'replace'],
  patch: [],
  run: ['run'],
};

/** A step of apply's plan that reads the service and settles a kept intent before it acts. */
function settlingStep(plan: Plan, pending: PendingIntent): Step | undefined {
  const kinds: readonly string[] = SETTLED_BY[pending.kind];
  return plan.steps.find(
    (step) =>
      step.sandbox === pending.sandbox &&
      step.key === pending.key &&
      kinds.includes(step.kind) &&
      step.blocked === undefined &&
      step.deferred === undefined,
  );
}

/**
 * An intent still there in apply's own plan, made after its resume (src/apply/resume.ts) tried
 * every one: this apply could not settle it, and its "resumed:" line says why. A delete, replace
 * or run step of the audience reads the service and settles it first (failing if it cannot);
 * any other step refuses to act while it is there (INTENT_PENDING).
 */
function keptLine(pending: PendingIntent, settling: Step | undefined): string {
  const what = { delete: 'delete', patch: 'PATCH', run: 'run request' }[pending.kind];
  const of = pending.audienceId === undefined ? '' : ` of ${pending.audienceId}`;
  const head = `${idOf(pending)}: an interrupted ${what}${of} (its outcome unknown) that this apply could not settle before it planned (its "resumed:" line says why): `;
  if (settling !== undefined)
    return `${head}this plan's ${settling.kind} step reads the service and settles it first; if it cannot, the step fails and the intent is kept for the next apply`;
  return `${head}its intent is kept for the next apply, and no step of this plan acts on the audience before settling it`;
}
