/** Exit codes, as Terraform's `-detailed-exitcode` plus one for guards. */
export const ExitCode = {
  /** Nothing to do, or everything applied. */
  Ok: 0,
  /** Errors: invalid manifests, unreadable state, bad flags, a failed step. */
  Error: 1,
  /** The plan has changes pending. */
  Changes: 2,
  /** Some steps are blocked by a guard. */
  Blocked: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** 1 when the source has errors, else 3 when a guard blocks a step, else 2 when anything is pending. */
export function planExitCode(plan: {
  steps: ReadonlyArray<{ blocked?: string | undefined }>;
  diagnostics: ReadonlyArray<{ severity: string }>;
}): ExitCode {
  if (plan.diagnostics.some((d) => d.severity === 'error')) return ExitCode.Error;
  if (plan.steps.some((s) => s.blocked)) return ExitCode.Blocked;
  return plan.steps.length > 0 ? ExitCode.Changes : ExitCode.Ok;
}
