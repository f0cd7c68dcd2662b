import type { PendingIntent, Plan } from '../schema.js';
import { runReasonText } from '../run-reason-text.js';

/** The heading of the interrupted calls apply settles before it plans. */
export function pendingHeading(plan: Plan): string | undefined {
  const count = plan.pending?.length ?? 0;
  return count > 0 ? `Pending (settled by apply before it plans): ${count}` : undefined;
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

function deleteLine(pending: PendingIntent & { kind: 'delete' }): string {
  const id = idOf(pending);
  // An intent of an earlier release on a record whose create's operation gave the id: its
  // resume reads the operation for it (resume.ts deletedAudienceId).
  const what = pending.audienceId ?? "the audience its create's operation names";
  const head = `${id}: an interrupted delete of ${what} (its outcome unknown): apply reads the service first; `;
  if (pending.manifest) {
    return `${head}if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, nothing is deleted`;
  }
  return `${head}if the audience is gone, the delete is finished; if it is still there, it is deleted only by a delete step of this plan`;
}

/** resume.ts reads the audience back and records what it shows (resumePatch); none without an id. */
function patchLine(pending: PendingIntent & { kind: 'patch' }): string {
  const id = idOf(pending);
  if (pending.audienceId === undefined)
    return `${id}: an interrupted PATCH with no audience id recorded: apply clears it and plans again`;
  const head = `${id}: an interrupted PATCH of ${pending.audienceId} (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows; `;
  if (pending.manifest) {
    return `${head}the steps below assume the spec recorded before the PATCH, and apply plans again from what it reads: the audience is PATCHed to the manifest whichever spec it holds, and not when it matches`;
  }
  return `${head}nothing is PATCHed again, its manifest being removed`;
}

/** resume.ts settles it from the audience's runs list (settleRunIntent); none without an id. */
function runLine(pending: PendingIntent & { kind: 'run' }): string {
  const id = idOf(pending);
  if (pending.audienceId === undefined)
    return `${id}: an interrupted run request with no audience id recorded: apply clears it and plans again`;
  return `${id}: an interrupted run request of ${pending.audienceId} (its outcome unknown), for ${runReasonText(pending.runReason)}: apply reads the audience's runs first; if they show the run it started, it is recorded (not asked for again); if none, a run is asked for if still due; if they cannot tell, no run is started until the intent is settled`;
}
