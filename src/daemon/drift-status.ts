import type { StepResult } from '../apply/types.js';
import type { Plan } from '../plan/schema.js';
import type { DaemonMetrics } from './metrics.js';
import type { DriftInfo } from './types.js';

const KINDS: readonly DriftInfo['kind'][] = ['deleted', 'changed', 'renamed', 'deactivated'];

const NEEDS_A_PERSON: ReadonlySet<DriftInfo['kind']> = new Set(['renamed', 'deactivated']);

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
    // A rename or a deactivation needs a person: its step is blocked, never corrected here.
    corrected: !NEEDS_A_PERSON.has(drift.kind) && (outcome.get(`${drift.sandbox}/${drift.key}`) ?? false),
  }));
}

/**
 * True when drift a pass corrects (a deleted audience created again, a changed one PATCHed back)
 * stands uncorrected: its correction failed or was held. Never in dry-run, which corrects nothing.
 */
export function correctionLeft(standing: readonly DriftInfo[], dryRun: boolean): boolean {
  return !dryRun && standing.some((drift) => !drift.corrected && !NEEDS_A_PERSON.has(drift.kind));
}

/**
 * The drift metrics after a refresh: the counter counts what it `found`, the gauge what is
 * left uncorrected of the drift `standing` (found, and that of sandboxes it could not read).
 */
export function publishDrift(
  metrics: DaemonMetrics,
  found: readonly DriftInfo[],
  standing: readonly DriftInfo[],
): void {
  for (const kind of KINDS) {
    const detected = found.filter((drift) => drift.kind === kind).length;
    if (detected > 0) metrics.driftDetected.inc({ kind }, detected);
    metrics.driftedAudiences.set({ kind }, standing.filter((d) => d.kind === kind && !d.corrected).length);
  }
}
