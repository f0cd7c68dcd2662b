/**
 * Exit codes, as Terraform users expect them (docs: README "Exit codes").
 * `plan` exits 0 on success, with or without changes; `plan --detailed-exitcode` tells
 * them apart (0, 2, 3). `apply` exits 0 when everything applied, 1 when a step failed,
 * an interrupted call could not be settled, or the prompt was declined, 3 when something
 * was blocked and nothing failed.
 */
export const ExitCode = {
  /** Success: nothing to do, everything applied, or (plain `plan`) a plan was made. */
  Ok: 0,
  /** Errors: invalid manifests, unreadable state, bad flags, a failed step, apply declined. */
  Error: 1,
  /** `plan --detailed-exitcode`: changes that apply would make. */
  Changes: 2,
  /** Some steps are blocked (a guard, or the service refused a duplicate); nothing failed. */
  Blocked: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

type PlanLike = {
  steps: ReadonlyArray<{ blocked?: string | undefined; deferred?: string | undefined }>;
  diagnostics: ReadonlyArray<{ severity: string }>;
  olderCheckout?: unknown;
  /** Interrupted calls apply settles first (plan/pending.ts); in apply's plan, those it could not. */
  pending?: ReadonlyArray<{ sandbox: string; key: string }> | undefined;
};

function hasErrors(plan: PlanLike): boolean {
  return plan.diagnostics.some((d) => d.severity === 'error');
}

/**
 * `plan`: 1 when the source has errors, else 0. With `detailed` (`--detailed-exitcode`):
 * 3 when a step is blocked or apply would refuse the whole plan (an older checkout: a CI
 * gate on 3 must not pass it as "changes"), else 2 when apply would make a change or settle an
 * interrupted call first (plan.pending), else 0
 * (no changes, or only steps deferred to a later apply).
 */
export function planExitCode(plan: PlanLike, detailed = false): ExitCode {
  if (hasErrors(plan)) return ExitCode.Error;
  if (!detailed) return ExitCode.Ok;
  if (plan.olderCheckout || plan.steps.some((s) => s.blocked)) return ExitCode.Blocked;
  // A pending intent may delete or create an audience, or start a run, once apply settles it.
  if ((plan.pending?.length ?? 0) > 0) return ExitCode.Changes;
  return plan.steps.some((s) => !s.deferred) ? ExitCode.Changes : ExitCode.Ok;
}

/** What an apply ended with. */
export type ApplyEnd =
  | { kind: 'declined' }
  | { kind: 'nothing' }
  | {
      kind: 'applied';
      counts: { failed: number; skipped: number; blocked: number };
      /** Interrupted (Ctrl-C, a lost lock): a run it started may be left recorded, not followed to its end. */
      stopped?: boolean;
      /** The audiences a step was applied to: a delete, replace or run step settles a kept intent first. */
      applied?: ReadonlyArray<{ sandbox: string; key: string }>;
    };

/**
 * `apply`: 1 when a step failed or was skipped (a dependency failed, or the apply was
 * interrupted), when the apply was interrupted, when the prompt was declined, when
 * manifests have errors, or when its resume kept an interrupted call it could not settle
 * (apply's plan, made after the resume, still has it as `pending`: its audience's steps
 * refuse to act until a later apply settles it, and `plan --detailed-exitcode` says 2);
 * else 3 when a step was blocked (by a guard in the plan or by the service, e.g. a 409); else 0.
 */
export function applyExitCode(plan: PlanLike, end: ApplyEnd): ExitCode {
  if (end.kind === 'declined' || hasErrors(plan)) return ExitCode.Error;
  if (unsettled(plan, end) > 0) return ExitCode.Error;
  if (end.kind === 'nothing') return plan.steps.some((s) => s.blocked) ? ExitCode.Blocked : ExitCode.Ok;
  if (end.stopped || end.counts.failed > 0 || end.counts.skipped > 0) return ExitCode.Error;
  return end.counts.blocked > 0 ? ExitCode.Blocked : ExitCode.Ok;
}

/**
 * The intents apply's resume could not settle (its plan's `pending`) that no applied step of
 * the same audience settled after it (a delete, replace or run step reads the service first;
 * one that cannot settle it fails, and so exits 1 anyway).
 */
function unsettled(plan: PlanLike, end: ApplyEnd): number {
  const applied = end.kind === 'applied' ? (end.applied ?? []) : [];
  return (plan.pending ?? []).filter(
    (pending) => !applied.some((done) => done.sandbox === pending.sandbox && done.key === pending.key),
  ).length;
}
