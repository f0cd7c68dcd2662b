import type { Run } from '../aep/types.js';
import type { Step } from '../plan/schema.js';
import { FINAL_RUN_STATUSES } from '../state/describe.js';
import type { AudienceRecord } from '../state/schema.js';
import { aepFailure } from './aep-failure.js';
import { pollUntil } from './poll.js';
import { result } from './record-helpers.js';
import { STOPPED_BEFORE_RUN } from './runs-before-run.js';
import type { ExecutorDeps, StepResult } from './types.js';

// Before a run step's request, the runs it waits for were only those its record holds. A run a
// person started in the UI (or another tool), still in progress, that no check held the step
// for (the service answers one createdAt for all runs; the audience imported while it ran) is
// listed with its status by the very list the step reads: a second run was requested over it,
// which the page says the service refuses (review runs-39, M-1): it is waited for instead.

function isFinalStatus(status: string | undefined): boolean {
  return status !== undefined && (FINAL_RUN_STATUSES as readonly string[]).includes(status);
}

/**
 * A run the service lists in progress that the record does not hold. A run listed without a
 * status tells nothing either way (the page's list shows one for each).
 */
export function listedInProgress(record: AudienceRecord, listed: readonly Run[]): Run | undefined {
  const known = new Set(record.runs.map((run) => run.runId));
  return listed.find(
    (run) => run.status !== undefined && !isFinalStatus(run.status) && !known.has(run.runId),
  );
}

/** The step's outcome when `run` is still in progress: nothing is started over it. */
export function waitsForListed(step: Step, audienceId: string, run: Run): StepResult {
  return result(
    step,
    'deferred',
    `${listedRun(run)}: no second run is started over it; requeued for the next apply`,
    { audienceId },
  );
}

function listedRun(run: Run): string {
  return `run ${run.runId} (${run.status ?? 'status not shown'}), which the service lists and this state store did not start, is in progress`;
}

/**
 * Waits (the run poll, as for a run of the step's own) for `run` to end: `ended`, the run as it
 * ended, or the step's outcome, deferred while it runs on, failed when its status cannot be
 * read, none started.
 */
export async function waitForListed(
  step: Step,
  audienceId: string,
  run: Run,
  deps: ExecutorDeps,
): Promise<{ ended: Run } | StepResult> {
  const { client, clock, signal, drain } = deps;
  let ended: Run | undefined;
  try {
    const read = () => client.getRun(step.sandbox, audienceId, run.runId, signal ? { signal } : {});
    const outcome = await pollUntil(read, (r) => isFinalStatus(r.status), deps.runPoll, clock, signal, drain);
    if (outcome.done) ended = outcome.value;
  } catch (error) {
    if (signal?.aborted) return result(step, 'skipped', STOPPED_BEFORE_RUN, { audienceId });
    return result(
      step,
      'failed',
      `${listedRun(run)}, and its status could not be read (${aepFailure(error).message}): no run started; the next apply looks again`,
      { audienceId },
    );
  }
  if (ended) return { ended };
  if (signal?.aborted || drain?.aborted) return result(step, 'skipped', STOPPED_BEFORE_RUN, { audienceId });
  return waitsForListed(step, audienceId, run);
}
