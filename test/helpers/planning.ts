import { plan, type PlanOptions } from '../../src/plan/plan.js';
import type { Plan } from '../../src/plan/schema.js';
import type { RecordedState } from '../../src/state/schema.js';
import type { LoadResult } from '../../src/manifest/load.js';
import { simulateApply } from './simulate-apply.js';

export const NOW = 1_790_000_000;
export const EMPTY: RecordedState = { meta: undefined, audiences: [] };

export function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return { now: NOW, allowReplace: false, allowMassDelete: false, allowEmptySource: false, ...overrides };
}

/** Plans `desired` from scratch and returns the state a successful apply leaves. */
export function appliedState(desired: LoadResult, now = NOW): RecordedState {
  return simulateApply(plan(desired, EMPTY, options({ now })), EMPTY, now);
}

export function kinds(result: Plan): string[] {
  return result.steps.map(
    (s) =>
      `${s.kind} ${s.sandbox}/${s.key}${s.blocked ? ' (blocked)' : ''}${s.deferred ? ' (deferred)' : ''}`,
  );
}
