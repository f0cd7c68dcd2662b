import type { Plan, Step } from '../plan/schema.js';
import { readBeforeDeletes, type DeleteReads, type LiveRead } from './delete-check.js';
import { heldByAskedWait } from './asked-wait-hold.js';
import { watchHeldCalls } from './held-calls.js';
import { deactivatedSince, readBeforeChanges } from './deactivated-since.js';
import { nameWaits, notFreedOutcome } from './name-waits.js';
import { notRecorded, result } from './record-helpers.js';
import { adoptStep } from './steps/adopt.js';
import { carryThenCreate } from './steps/carry.js';
import { createStep } from './steps/create.js';
import { deleteStep, forgetStep } from './steps/delete.js';
import { runStep } from './steps/run.js';
import { updateStep } from './steps/update.js';
import type { ApplyReport, CallMarks, ExecutorDeps, StepResult, StepStatus } from './types.js';

/**
 * Delete, then create. Once the DELETE is done and recorded, the step is under way: whatever
 * then becomes of the create (it throws, as when its intent's write is refused with the lock;
 * the apply is stopped before its POST; it is refused or blocked), the step says what was
 * deleted, and a create not sent fails it, never "skipped" (not attempted). The next apply
 * creates the audience. Its new name freed by other records' steps (Step.freedBy): their DELETEs
 * done before its own, so that one not done deletes nothing; only replaces freeing each other's
 * names (a swap, a cycle) both DELETE first, and wait before their POSTs (name-waits.ts).
 */
async function replaceStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const before = await deps.names?.wait(step, 'delete');
  if (before !== undefined) {
    const { status, message } = notFreedOutcome(step, before);
    return result(step, status, `not replaced: ${message}; nothing was deleted`);
  }
  // What was applied of the audience its DELETE frees the name of (the delete removes the record).
  const applied = (await deps.store.get(step.sandbox, step.key))?.applied;
  const deleted = await deleteStep(step, deps);
  if (deleted.status !== 'applied') return deleted;
  deps.names?.settle(step.id, { deleted: true, status: 'applied' });
  const after = await deps.names?.wait(step, 'create');
  if (after !== undefined)
    return result(
      step,
      'failed',
      `${deleted.message}; then the create was not sent: ${notFreedOutcome(step, after).message}; an apply after that DELETE is done creates it`,
    );
  const replaced = deleted.audienceId === undefined ? undefined : { audienceId: deleted.audienceId, applied };
  let created: StepResult;
  try {
    created = await createStep(step, deps, replaced);
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return result(step, 'failed', `${deleted.message}; then the create failed (${cause})`);
  }
  if (created.status === 'applied')
    return { ...created, message: `replaced: ${deleted.message}, ${created.message}` };
  if (created.status === 'skipped')
    return result(
      step,
      'failed',
      `${deleted.message}; then the apply was stopped before the create was sent: the next apply creates it`,
    );
  return { ...created, message: `${deleted.message}; then ${created.message}` };
}

/** A create, its POST sent once the steps freeing its name (Step.freedBy) have deleted. */
async function createAfterFreed(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const notFreed = await deps.names?.wait(step, 'create');
  if (notFreed === undefined) return carryThenCreate(step, deps);
  const { status, message } = notFreedOutcome(step, notFreed);
  return result(step, status, `not created: ${message}; nothing was sent`);
}

const HANDLERS: Record<Step['kind'], (step: Step, deps: ExecutorDeps) => Promise<StepResult>> = {
  create: createAfterFreed,
  adopt: adoptStep,
  update: updateStep,
  replace: replaceStep,
  run: runStep,
  delete: deleteStep,
  forget: forgetStep,
  // Always blocked by the planner: an audience cannot move between sandboxes (a waiting record
  // moves with its create instead, carryThenCreate).
  move: (step) => Promise.resolve(result(step, 'blocked', step.blocked ?? 'a move is never applied')),
};

/** The marks a step makes of its call (CallMarks), and what was sent but not recorded, if anything. */
function watchCall(): { marks: CallMarks; unrecorded(): string | undefined } {
  let pending: string | undefined;
  return {
    marks: {
      sent: (what) => {
        pending = what;
      },
      recorded: () => {
        pending = undefined;
      },
    },
    unrecorded: () => pending,
  };
}

/**
 * A step that threw: a call it sent and the service answered, its answer not recorded, is a
 * failed step said sent (notRecorded), whether or not the apply was stopped meanwhile (the lock
 * lost with the database). Otherwise it failed, or was not attempted if the apply was stopped.
 */
function thrownOutcome(
  step: Step,
  unrecorded: string | undefined,
  error: unknown,
  deps: ExecutorDeps,
): StepResult {
  if (unrecorded !== undefined) return notRecorded(step, unrecorded, error);
  if (deps.signal?.aborted) return result(step, 'skipped', 'the apply was stopped');
  return result(step, 'failed', error instanceof Error ? error.message : String(error));
}

/**
 * Steps of one audience, in plan order: a step whose dependency did not succeed is skipped,
 * and one whose dependency was blocked (the service refused a create as a duplicate name) is
 * blocked with it, as the planner leaves out the first run of a create it blocks: a guard, not
 * a failure (apply exits 3, not 1).
 */
async function runAudience(steps: readonly Step[], deps: ExecutorDeps): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const succeeded = new Set<string>();
  const blocked = new Set<string>();
  for (const step of steps) {
    let outcome: StepResult;
    // Deactivated in the UI since a refresh read it (deactivated-since.ts): neither PATCHed nor run.
    const held = deactivatedSince(step, deps);
    // AEP asked its sandbox to wait (a 429 or 503 of another step's call): not sent before then.
    const asked = heldByAskedWait(step, deps.client);
    if (step.blocked) outcome = result(step, 'blocked', step.blocked);
    else if (step.deferred) outcome = result(step, 'deferred', step.deferred);
    else if (deps.signal?.aborted || deps.drain?.aborted)
      outcome = result(step, 'skipped', 'the apply was stopped before this step');
    else if (step.dependsOn && blocked.has(step.dependsOn))
      outcome = result(step, 'blocked', `${step.dependsOn} is blocked`);
    else if (step.dependsOn && !succeeded.has(step.dependsOn))
      outcome = result(step, 'skipped', `${step.dependsOn} did not succeed`);
    else if (held) outcome = held;
    else if (asked) outcome = asked;
    else {
      deps.progress.stepStarted(step);
      const call = watchCall();
      const calls = watchHeldCalls(deps.client);
      try {
        outcome = await HANDLERS[step.kind](step, { ...deps, marks: call.marks, client: calls.client });
      } catch (error) {
        // One audience's failure never stops the others.
        outcome = thrownOutcome(step, call.unrecorded(), error, deps);
      }
      // Under way when the service asked its sandbox to wait: blocked as the steps after it are.
      if (outcome.status === 'failed' && calls.heldOnly())
        outcome = heldByAskedWait(step, deps.client) ?? outcome;
    }
    // Whatever became of it, a create waiting for its DELETE learns of it (a replace said so already once deleted).
    deps.names?.settle(step.id, { deleted: outcome.status === 'applied', status: outcome.status });
    if (outcome.status === 'applied' || outcome.status === 'started') succeeded.add(step.id);
    else if (outcome.status === 'blocked') blocked.add(step.id);
    deps.progress.stepFinished(outcome);
    results.push(outcome);
  }
  return results;
}

function groupByAudience(steps: readonly Step[]): Step[][] {
  const groups = new Map<string, Step[]>();
  for (const step of steps) {
    const id = `${step.sandbox}/${step.key}`;
    const group = groups.get(id);
    if (group) group.push(step);
    else groups.set(id, [step]);
  }
  return [...groups.values()];
}

export function countStatuses(results: readonly StepResult[]): Record<StepStatus, number> {
  const counts: Record<StepStatus, number> = {
    applied: 0,
    started: 0,
    failed: 0,
    blocked: 0,
    deferred: 0,
    skipped: 0,
  };
  for (const r of results) counts[r.status] += 1;
  return counts;
}

function stopped(deps: ExecutorDeps): boolean {
  return (deps.signal?.aborted ?? false) || (deps.drain?.aborted ?? false);
}

/**
 * Applies a plan: audiences in parallel (the client's request budget bounds the
 * traffic), the steps of one audience in order, deletions after everything else but those
 * that free a name a create or replace of the plan takes (Step.freedBy), which go with it and
 * before its POST (name-waits.ts).
 */
export async function executePlan(
  plan: Plan,
  deps: ExecutorDeps,
  resumed: string[] = [],
): Promise<ApplyReport> {
  const names = nameWaits(plan.steps);
  const removal = (step: Step) => (step.kind === 'delete' || step.kind === 'forget') && !names.frees(step.id);
  const phases = [plan.steps.filter((s) => !removal(s)), plan.steps.filter(removal)];
  const byId = new Map<string, StepResult>();
  for (const steps of phases) {
    // Every DELETE of a phase is confirmed against one batch read made as the phase starts:
    // the steps ahead of the deletions may take minutes (runs followed), and an audience
    // renamed outside meanwhile must not be deleted on what an earlier read showed.
    // Stopped: no step of the phase starts, so nothing is read for it.
    const deleteReads: DeleteReads = stopped(deps)
      ? new Map<string, LiveRead>()
      : await readBeforeDeletes({ ...plan, steps }, deps);
    // A refreshed plan's PATCHes and runs too: one deactivated since the refresh is held.
    const changeReads: DeleteReads = stopped(deps)
      ? new Map<string, LiveRead>()
      : await readBeforeChanges({ ...plan, steps }, deps);
    const checked = { ...deps, deleteReads, changeReads, names };
    const outcomes = await Promise.all(groupByAudience(steps).map((group) => runAudience(group, checked)));
    for (const r of outcomes.flat()) byId.set(r.step.id, r);
  }
  const results = plan.steps.map((step) => byId.get(step.id)!);
  return { results, counts: countStatuses(results), resumed, stopped: stopped(deps) };
}
