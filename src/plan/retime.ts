import type { RecordedState } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { runClock, skewNote, skewSpan } from './clock.js';
import { applyRunBudget, DEFAULT_RUN_BUDGET } from './runs.js';
import type { Plan, Step } from './schema.js';
import { summarise } from './summary.js';

/**
 * A saved plan made without a reading of AEP's clock (`plan` asks AEP nothing) timed its
 * runs by the local clock. Applied once AEP's clock is measured beyond the tolerance off
 * it (`offset`, seconds, at local time `now`): its periodic runs are deferred (their period
 * was timed by the wrong clock; the next plan times them) and the run budget is counted
 * again in AEP's clock, so a saved plan neither repeats a run nor escapes the budget.
 */
export function retimeSavedPlan(saved: Plan, recorded: RecordedState, now: number, offset: number): Plan {
  const clock = runClock(now, offset);
  const options = saved.origin?.options;
  if (clock.localShift === 0 || options?.clockOffset !== undefined) return saved;
  const steps: Step[] = saved.steps.map((step) =>
    step.kind === 'run' && !step.blocked && !step.deferred && step.run?.reason === 'every'
      ? {
          ...step,
          deferred: `this saved plan timed the period by the local clock, ${skewSpan(offset)}: plan again to time it in AEP's clock`,
        }
      : { ...step },
  );
  const records = new Map(recorded.audiences.map((r) => [recordId(r.sandbox, r.key), r]));
  applyRunBudget(steps, records, options?.runBudget ?? DEFAULT_RUN_BUDGET, clock.now);
  return {
    ...saved,
    steps,
    summary: summarise(steps),
    clock: { offsetSeconds: offset, note: skewNote(offset) },
  };
}

/** Why a run waits when AEP's clock could not be read before planning (deferUnclockedRuns). */
export const UNCLOCKED_RUN =
  "AEP's clock could not be read before planning (reading one audience failed, retries included): runs are timed and budgeted in AEP's clock, and this machine's may be off it; the next apply reads it again";

/**
 * A plan with runs, applied when AEP's clock could not be read: its runs are deferred. Timed or
 * budgeted by a local clock that may be off AEP's (a day ahead: every run looks a day older),
 * one could be a run too many; a run deferred is only a run later.
 */
export function deferUnclockedRuns(plan: Plan): Plan {
  if (!plan.steps.some((step) => step.kind === 'run' && !step.blocked && !step.deferred)) return plan;
  const steps: Step[] = plan.steps.map((step) =>
    step.kind === 'run' && !step.blocked && !step.deferred
      ? { ...step, deferred: UNCLOCKED_RUN }
      : { ...step },
  );
  return { ...plan, steps, summary: summarise(steps) };
}
