import type { RunsListed } from '../aep/types.js';
import { RunsListCutError } from '../aep/runs-list-cut.js';
import type { Step } from '../plan/schema.js';
import { aepFailure, answersNotFound } from './aep-failure.js';
import { mayBeGoneHint } from './gone-hint.js';
import { result } from './record-helpers.js';
import type { ExecutorDeps, StepResult } from './types.js';

export const STOPPED_BEFORE_RUN = 'the apply was stopped before this run was started: no run started';

/**
 * The audience's runs, read before a run step's request (apply/steps/run.ts), or the step's
 * outcome when they cannot be. A list that fails tells nothing: not that no other run is there
 * (another store's or a person's), so no run is started over one it may hide. A page cut from
 * more, oldest first, that says how many runs there are is read for what it shows: the runs
 * past it may be counted from the record (hidden-runs.ts), else the step is held.
 */
export async function runsBeforeRun(
  step: Step,
  audienceId: string,
  deps: ExecutorDeps,
): Promise<{ listed: RunsListed } | StepResult> {
  const { client, signal } = deps;
  try {
    return { listed: await client.listRuns(step.sandbox, audienceId, signal ? { signal } : {}) };
  } catch (error) {
    // Stopped (a second Ctrl-C) while the list was read: a call was ended, not a failure of
    // the service's; the step is stopped before its run, as a create stopped before its POST.
    if (signal?.aborted) return result(step, 'skipped', STOPPED_BEFORE_RUN, { audienceId });
    if (error instanceof RunsListCutError) return { listed: error.listed };
    const failure = aepFailure(error);
    // A 404 for the audience itself (deleted in the UI since the plan, say) is met again by
    // every apply that does not refresh: "the next apply reads them again" was no way out.
    const next = answersNotFound(failure)
      ? mayBeGoneHint(audienceId, deps)
      : 'the next apply reads them again';
    return result(
      step,
      'failed',
      `could not read the audience's runs before starting one (${failure.message}): no run started; ${next}`,
      { audienceId },
    );
  }
}
