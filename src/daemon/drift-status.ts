import type { StepResult } from '../apply/types.js';
import type { Plan } from '../plan/schema.js';
import type { DaemonMetrics } from './metrics.js';
import type { DriftInfo } from './types.js';

const KINDS: readonly DriftInfo['kind'][] = ['deleted', 'changed', 'renamed'];

/**
 * The drift a refreshed plan found, each marked corrected when every step of that audience
 * was applied (or started); in dry-run (`results` undefined) nothing is corrected.
 */
export function driftStatuses(plan: Plan, results: readonly StepResult[] | undefined): DriftInfo[] {
  const outcome = new Map<string, boolean>();
  for (const result of results ?? []) {
    const id = `${result.step.sandbox}/${result.step.key}`;
    const ok = result.status === 'applied' || result.status === 'started';
    outcome.set(id, (outcome.get(id) ?? true) && ok);
  }
  return (plan.refresh?.drifted ?? []).map((drift) => ({
    ...drift,
    corrected: drift.kind !== 'renamed' && (outcome.get(`${drift.sandbox}/${drift.key}`) ?? false),
  }));
}

/** The drift metrics after a refresh: the gauge counts what is left uncorrected. */
export function publishDrift(metrics: DaemonMetrics, drifted: readonly DriftInfo[], at: Date): void {
  for (const kind of KINDS) {
    const found = drifted.filter((drift) => drift.kind === kind);
    if (found.length > 0) metrics.driftDetected.inc({ kind }, found.length);
    metrics.driftedAudiences.set({ kind }, found.filter((drift) => !drift.corrected).length);
  }
  metrics.lastRefreshTimestamp.set(at.getTime() / 1000);
}
