import type { StepResult } from '../apply/types.js';
import type { Plan } from '../plan/schema.js';
import type { DaemonMetrics } from './metrics.js';
import { worseState } from './audiences.js';
import type { BackoffEntry } from './backoff.js';
import type { AudienceStatus, DriftInfo } from './types.js';

const KINDS: readonly DriftInfo['kind'][] = ['deleted', 'changed', 'renamed', 'deactivated'];

const NEEDS_A_PERSON: ReadonlySet<DriftInfo['kind']> = new Set(['renamed', 'deactivated']);

/**
 * The drift a refreshed plan found, each marked corrected when every step of that audience
 * was applied (or started); in dry-run (`results` undefined) nothing is corrected. A correction
 * that was blocked (a guard: the mass-recreate guard) carries the reason as `blocked`.
 */
export function driftStatuses(plan: Plan, results: readonly StepResult[] | undefined): DriftInfo[] {
  const outcome = new Map<string, boolean>();
  for (const result of results ?? []) {
    const id = `${result.step.sandbox}/${result.step.key}`;
    const ok = result.status === 'applied' || result.status === 'started';
    outcome.set(id, (outcome.get(id) ?? true) && ok);
  }
  const blocked = blockedCorrections(plan, results);
  return (plan.refresh?.drifted ?? []).map((drift) => {
    const id = `${drift.sandbox}/${drift.key}`;
    // A rename or a deactivation needs a person: its step is blocked, never corrected here.
    if (NEEDS_A_PERSON.has(drift.kind)) return { ...drift, corrected: false };
    const corrected = outcome.get(id) ?? false;
    const why = corrected ? undefined : blocked.get(id);
    return { ...drift, corrected, ...(why === undefined ? {} : { blocked: why }) };
  });
}

/**
 * Why each audience's step was blocked (`sandbox/key` -> the first reason): as executed, or in
 * dry-run as planned.
 */
function blockedCorrections(plan: Plan, results: readonly StepResult[] | undefined): Map<string, string> {
  const outcomes =
    results?.map((r) => ({ step: r.step, blocked: r.status === 'blocked' ? r.message : undefined })) ??
    plan.steps.map((step) => ({ step, blocked: step.blocked }));
  const why = new Map<string, string>();
  for (const { step, blocked } of outcomes) {
    const id = `${step.sandbox}/${step.key}`;
    if (blocked !== undefined && !why.has(id)) why.set(id, blocked);
  }
  return why;
}

/**
 * The audiences as /status shows them, with the drift the last refresh found and no pass
 * corrected: a rename or a deactivation stays `blocked` (its reason as the refresh's pass said
 * it), other drift `pending` (dry-run, or a correction not sent yet), until a refresh finds it
 * settled; so does a correction a guard blocked (`blocked`, its reason). A pass that does not
 * refresh plans from the records, which know nothing of it: the
 * audience went `in-sync` at the next resync, and an alert on blocked audiences resolved by
 * itself and fired again at each refresh (review 38s, S-2). Audiences no longer listed (removed)
 * are not brought back, nor is drift shown for a key that now points at another audience (review
 * 38v, M-1: forgotten as the rename's message says, created anew, still shown blocked).
 */
export function withStandingDrift(
  audiences: readonly AudienceStatus[],
  drifted: readonly DriftInfo[],
  at: Date,
  /** The audience id the drift was about (its record's at the refresh), when known. */
  aboutAudience: (drift: DriftInfo) => string | undefined = () => undefined,
  /** The backoff of a correction that failed (`sandbox/key`): shown until its retry. */
  backoffOf: (id: string) => BackoffEntry | undefined = () => undefined,
): AudienceStatus[] {
  const standing = new Map<string, DriftInfo>();
  for (const drift of drifted) if (!drift.corrected) standing.set(`${drift.sandbox}/${drift.key}`, drift);
  if (standing.size === 0) return [...audiences];
  return audiences.map((audience) => {
    const drift = standing.get(`${audience.sandbox}/${audience.key}`);
    if (drift === undefined) return audience;
    // The key no longer points at the audience that drifted (forgotten and created anew, imported
    // under another id, as a rename's message suggests): that drift is no longer this audience's.
    const about = aboutAudience(drift);
    if (about !== undefined && about !== audience.audienceId) return audience;
    // A correction a guard blocked needs a person too, until the next refresh reads it again.
    const blocked = NEEDS_A_PERSON.has(drift.kind) || drift.blocked !== undefined;
    // A correction that failed waits for its retry (RefreshSchedule.again), backing off.
    const backoff = blocked ? undefined : backoffOf(`${drift.sandbox}/${drift.key}`);
    if (backoff !== undefined && worseState('backoff', audience.state))
      return {
        ...audience,
        state: 'backoff',
        failures: backoff.failures,
        nextAttemptAt: new Date(backoff.nextAttemptAt).toISOString(),
        lastError: audience.lastError ?? backoff.lastError,
      };
    const state = blocked ? 'blocked' : 'pending';
    if (!worseState(state, audience.state)) return audience;
    return {
      ...audience,
      state,
      ...(blocked && audience.lastError === undefined
        ? {
            lastError: { code: 'STEP_BLOCKED', message: drift.blocked ?? drift.detail, at: at.toISOString() },
          }
        : {}),
    };
  });
}

/**
 * True when drift a pass corrects (a deleted audience created again, a changed one PATCHed back)
 * stands uncorrected: its correction failed or was held. Never in dry-run, which corrects nothing.
 * Not for a correction a guard blocked: it needs a person, and a pass that read it back again
 * before the next refresh found it blocked again, at every pass until someone acted (review 39,
 * M-1).
 */
export function correctionLeft(standing: readonly DriftInfo[], dryRun: boolean): boolean {
  return !dryRun && correctionsStanding(standing).size > 0;
}

/** The audiences (`sandbox/key`) whose drift a pass corrects stands uncorrected. */
export function correctionsStanding(standing: readonly DriftInfo[]): Set<string> {
  return new Set(
    standing
      .filter((drift) => !drift.corrected && !NEEDS_A_PERSON.has(drift.kind) && drift.blocked === undefined)
      .map((drift) => `${drift.sandbox}/${drift.key}`),
  );
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
