import type { Plan, Step } from '../plan/schema.js';
import { readLiveAudiences, type DeleteReads } from './delete-check.js';
import { result } from './record-helpers.js';
import type { ExecutorDeps, StepResult } from './types.js';

/**
 * A plan made with --refresh blocks an audience deactivated in the UI (plan/drift.ts): no call
 * of either API reactivates one, so nothing is PATCHed or run for it. That held only for what
 * the refresh read: a saved plan applied later, or an apply whose prompt waited, PATCHed and
 * ran an audience deactivated since (review 38p, F2). So the PATCHes and runs of such a plan
 * are checked against one batch read made as they start, as its DELETEs are (delete-check.ts).
 * A plan without a refresh read nothing of the service, and is not checked: it never promised.
 * Nor is one whose read was just made (ExecutorDeps.refreshAged): it is not made twice.
 */

/** Steps of a refreshed plan that PATCH or run an audience it read: updates and runs with an id. */
function patchingSteps(plan: Plan, deps: ExecutorDeps): Step[] {
  if (plan.refresh === undefined || deps.refreshAged !== true) return [];
  return plan.steps.filter(
    (step) =>
      (step.kind === 'update' || step.kind === 'run') &&
      !step.blocked &&
      !step.deferred &&
      step.audienceId !== undefined,
  );
}

/**
 * One bulk-get per sandbox of the ids `plan`'s PATCHes and runs go to; none without an aged
 * refresh. A read that fails leaves them as the plan read them: a PATCH or a run is what an
 * apply without a refresh sends unread, and each meets a 404 or a refusal on its own.
 */
export function readBeforeChanges(plan: Plan, deps: ExecutorDeps): Promise<DeleteReads> {
  return readLiveAudiences(patchingSteps(plan, deps), deps);
}

/** `step` held (blocked) when the read made as it started shows its audience deactivated. */
export function deactivatedSince(step: Step, deps: ExecutorDeps): StepResult | undefined {
  if (step.kind !== 'update' && step.kind !== 'run') return undefined;
  const read = deps.changeReads?.get(`${step.sandbox}/${step.audienceId ?? ''}`);
  if (read === undefined || 'failed' in read || read.found?.lifecycleState !== 'inactive') return undefined;
  return result(
    step,
    'blocked',
    `audience ${step.audienceId ?? ''} was deactivated outside audiencectl since the plan read it (lifecycleState "inactive"), and no API call can reactivate it, so nothing was PATCHed or run for it; reactivate it in AEP and plan again, or remove its manifest to delete it`,
    { audienceId: step.audienceId ?? '' },
  );
}
