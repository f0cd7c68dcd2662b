import type { Step } from '../../plan/schema.js';
import { holdsOnlyFormerRuns, runsOnlyRemnant } from '../../state/current-runs.js';
import { movable } from '../../state/waiting.js';
import { budgetHorizon, manifestFileOf, removeOrReplace, result } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { createStep } from './create.js';
import { manifestsCommand, manifestsDirNote } from '../../text/paste-flags.js';

/**
 * Before a create that takes a waiting record with it (`step.movedFrom`, plan/waiting-move.ts):
 * to another key of the same sandbox, the record is written under the step's key with all it
 * holds (a create in flight, resumed as it was sent; the mark of a replace's deleted name; the
 * runs that count against the daily run budget), then removed under the old one; from another
 * sandbox, where nothing of an audience can exist, it is removed, all but the runs that still
 * count against that sandbox's budget (a runs-only record, as a removal leaves). A kill between the write and
 * the removal leaves a copy, which the next plan forgets (removals.ts). A record that is not as
 * planned (given an audience id, blocked, or a call in flight other than its create) is left
 * alone, and so is the create: plan again.
 */
async function carry(
  step: Step,
  from: NonNullable<Step['movedFrom']>,
  deps: ExecutorDeps,
): Promise<StepResult | undefined> {
  const { store } = deps;
  const old = await store.get(from.sandbox, from.key);
  if (old === undefined) return undefined;
  const here = await store.get(step.sandbox, step.key);
  const other = from.sandbox !== step.sandbox;
  // Asked as the plan asked it (waiting-move.ts carries). A runs-only record there (a removed
  // manifest's) is no audience: the carried record takes its runs.
  const changed = !movable(old, other) || (here !== undefined && !holdsOnlyFormerRuns(here));
  if (changed) {
    return result(
      step,
      'failed',
      `the record ${from.sandbox}/${from.key} is no longer as planned (it waited for its create, and ${step.sandbox}/${step.key} had no audience); nothing was moved or created: run \`${manifestsCommand('plan', deps.paste)}\`${manifestsDirNote(deps.paste)} again`,
    );
  }
  if (other) {
    // The runs that still count against the old sandbox's budget stay there (runsOnlyRemnant).
    await removeOrReplace(store, old, runsOnlyRemnant(old, budgetHorizon(deps)));
    return undefined;
  }
  const runs = here === undefined ? old.runs : [...old.runs, ...here.runs];
  await store.put({ ...old, key: step.key, ...manifestFileOf(step, deps, old), runs });
  await store.delete(from.sandbox, from.key);
  return undefined;
}

/** A create step, after moving the record it takes with it, if any. */
export async function carryThenCreate(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  if (step.movedFrom !== undefined) {
    const refused = await carry(step, step.movedFrom, deps);
    if (refused !== undefined) return refused;
  }
  return createStep(step, deps);
}
