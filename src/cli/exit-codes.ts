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
