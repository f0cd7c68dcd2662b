import type { PlanSummary, Step } from './schema.js';

/** Steps by kind that will be applied; blocked and deferred ones counted apart. */
export function summarise(steps: readonly Step[]): PlanSummary {
  const summary: PlanSummary = {
    create: 0,
    adopt: 0,
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
