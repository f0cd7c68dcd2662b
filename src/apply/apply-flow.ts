import { AudiencectlError } from '../errors.js';
import type { LoadResult } from '../manifest/load.js';
import { plan as makePlan, type PlanOptions } from '../plan/plan.js';
import type { Plan } from '../plan/schema.js';
import type { StateStore } from '../state/store.js';
import { executePlan } from './executor.js';
import { resumeIntents } from './resume.js';
import type { ApplyReport, ExecutorDeps, ProgressSink } from './types.js';

export class StalePlanError extends AudiencectlError {
  override readonly name = 'StalePlanError';
}

export type ApplyInput =
  | { kind: 'manifests'; desired: LoadResult; planOptions: PlanOptions }
  | { kind: 'saved'; plan: Plan; source: string };

export type ApplyFlow = Omit<ExecutorDeps, 'progress' | 'store'> & {
  store: StateStore;
  lockTimeoutMs: number;
  /** Shows the plan; resolves false to stop before any change. */
  review: (plan: Plan, resumed: string[]) => Promise<boolean>;
  progress: (plan: Plan) => ProgressSink;
};

export type ApplyOutcome = { plan: Plan; report: ApplyReport | undefined };

/** A saved plan applies only to the exact state it was made against, as Terraform's does. */
function checkSavedPlan(saved: Plan, source: string, lineage: string | undefined, serial: number): void {
  if (saved.state.lineage !== undefined && lineage !== undefined && saved.state.lineage !== lineage) {
    throw new StalePlanError(
      'PLAN_OTHER_STATE',
      `${source} was made for another state (lineage ${saved.state.lineage}, this state is ${lineage}); plan again against this state`,
    );
  }
  if (saved.state.serial !== serial) {
    throw new StalePlanError(
      'PLAN_STALE',
      `${source} is stale: the state changed since it was made (serial ${saved.state.serial}, now ${serial}); run plan again`,
    );
  }
}

/**
 * One apply: take the lock, settle what a killed apply left, plan (or check a saved
 * plan), let the caller review it, execute, release the lock.
 */
export async function applyOnce(input: ApplyInput, flow: ApplyFlow): Promise<ApplyOutcome> {
  const { store } = flow;
  await store.lock({ timeoutMs: flow.lockTimeoutMs });
  try {
    const resumed = await resumeIntents(store, flow.client, flow.clock, flow.signal);
    const recorded = await store.readAll();
    let plan: Plan;
    if (input.kind === 'saved') {
      checkSavedPlan(input.plan, input.source, recorded.meta?.lineage, recorded.meta?.serial ?? 0);
      plan = input.plan;
    } else {
      plan = makePlan(input.desired, recorded, input.planOptions);
    }
    const go = await flow.review(plan, resumed);
    if (!go || plan.steps.length === 0) return { plan, report: undefined };
    const progress = flow.progress(plan);
    try {
      return { plan, report: await executePlan(plan, { ...flow, progress }, resumed) };
    } finally {
      progress.close();
    }
  } finally {
    await store.unlock();
  }
}
