import { countStatuses } from '../apply/executor.js';
import type { StepResult } from '../apply/types.js';
import type { PlanMarks } from '../plan/render/markdown.js';
import type { Plan } from '../plan/schema.js';
import type { ErrorInfo, PlanStage, StepOutcomeCounts } from './types.js';

// What /plan and /status say of the last plan once its pass has carried it out (docs M-3): each
// step marked with its outcome, the time of the plan and of the apply, and what is left to do.
// Until then the steps of a plan already applied read as work still to do.

/** Step outcomes in the order they are told. */
const OUTCOMES = ['applied', 'started', 'failed', 'blocked', 'deferred', 'skipped'] as const;

/** The mark of a step an interrupted or stopped pass never reached. */
const UNREACHED = 'not done';

/** Each step's outcome counted, and the steps left to do (not applied nor started, or not reached). */
export function countOutcomes(
  plan: Plan,
  results: ReadonlyMap<string, StepResult>,
): { results: StepOutcomeCounts; left: number } {
  const outcomes = plan.steps.flatMap((step) => results.get(step.id) ?? []);
  const counts = countStatuses(outcomes);
  // Applied or started: carried out; any other outcome, or none (not reached), is left to do.
  const left = plan.steps.length - counts.applied - counts.started;
  return { results: counts, left };
}

function countsText(counts: StepOutcomeCounts, left: number): string {
  const said = OUTCOMES.filter((status) => counts[status] > 0).map((status) => `${counts[status]} ${status}`);
  if (said.length > 0) return said.join(', ');
  return left === 0 ? 'it had no step' : 'no step carried out';
}

function leftText(left: number, interrupted: boolean): string {
  if (left === 0) return 'nothing.';
  const marked = interrupted
    ? 'marked failed, blocked, deferred, skipped or not done below; the next pass plans again'
    : 'marked failed, blocked, deferred or skipped below';
  return `${left} step(s), ${marked}.`;
}

/** The stage a plan is published at: a dry run's, or one its pass is about to apply. */
export function plannedStage(dryRun: boolean, at: Date): PlanStage {
  return { plannedAt: at.toISOString(), state: dryRun ? 'dry-run' : 'applying' };
}

/** The stage of a plan whose pass ended (stopped or not), with what became of its steps. */
export function appliedStage(
  stage: PlanStage,
  plan: Plan,
  results: ReadonlyMap<string, StepResult>,
  at: Date,
): PlanStage {
  return {
    plannedAt: stage.plannedAt,
    state: 'applied',
    appliedAt: at.toISOString(),
    ...countOutcomes(plan, results),
  };
}

/** The stage of a plan whose pass failed after publishing it, with the steps done before. */
export function interruptedStage(
  stage: PlanStage,
  plan: Plan,
  results: ReadonlyMap<string, StepResult>,
  error: ErrorInfo,
): PlanStage {
  return {
    plannedAt: stage.plannedAt,
    state: 'interrupted',
    failedAt: error.at,
    error,
    ...countOutcomes(plan, results),
  };
}

/**
 * A pass that failed before it published a plan of its own (the state lock held, the store
 * unreadable, IMS refusing the credentials): the plan shown is an earlier pass's, and its
 * "Left to do: nothing" is no word on the revision that pass could not plan.
 */
export type Unplanned = { startedAt: string; error: ErrorInfo };

/** The lines and step marks /plan's Markdown shows for a stage (and a later pass that did not plan). */
export function planMarks(
  stage: PlanStage,
  results: ReadonlyMap<string, StepResult>,
  revision: string,
  unplanned?: Unplanned,
): PlanMarks {
  const own = stageMarks(stage, results);
  if (!unplanned) return own;
  const { startedAt, error } = unplanned;
  const note = {
    lead: 'Not planned again:',
    rest:
      `the last pass, started at ${startedAt}, failed at ${error.at} before it planned ` +
      `(${error.code}: ${error.message}); this is the plan of the pass before it, of revision ${revision}: ` +
      'what is left to do may have changed since.',
  };
  return { ...own, headlines: [note, ...own.headlines] };
}

function stageMarks(stage: PlanStage, results: ReadonlyMap<string, StepResult>): PlanMarks {
  const steps = {
    of: new Map([...results].map(([id, result]) => [id, { status: result.status, message: result.message }])),
    unreached: UNREACHED,
  };
  switch (stage.state) {
    case 'dry-run':
      return {
        headlines: [{ lead: 'Dry run:', rest: `planned at ${stage.plannedAt}; nothing is applied.` }],
      };
    case 'applying':
      return {
        headlines: [
          {
            lead: 'Being applied:',
            rest: `planned at ${stage.plannedAt}; each step is marked with what became of it once the pass ends.`,
          },
        ],
      };
    case 'applied':
      return {
        headlines: [
          {
            lead: 'Applied:',
            rest:
              `planned at ${stage.plannedAt}, applied by the pass that ended at ${stage.appliedAt}: ` +
              `${countsText(stage.results, stage.left)}. Left to do: ${leftText(stage.left, false)}`,
          },
        ],
        steps,
      };
    case 'interrupted':
      return {
        headlines: [
          {
            lead: 'Not applied to the end:',
            rest:
              `planned at ${stage.plannedAt}; the pass failed at ${stage.failedAt} ` +
              `(${stage.error.code}: ${stage.error.message}) after ${countsText(stage.results, stage.left)}. ` +
              `Left to do: ${leftText(stage.left, true)}`,
          },
        ],
        steps,
      };
  }
}
