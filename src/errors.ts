/**
 * Base of every error audiencectl raises on purpose. `code` is stable (scripts and
 * tests match on it); `message` tells the user what to do. The CLI maps these to
 * exit codes without a stack trace; anything else is a bug and keeps its stack.
 */
export class AudiencectlError extends Error {
  override readonly name: string = 'AudiencectlError';
  readonly code: string;
  /** The CLI exit code this error maps to (1 = error, 3 = blocked by a guard). */
  readonly exitCode: number = 1;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Bad input from the user: flags, configuration, files. */
export class UsageError extends AudiencectlError {
  override readonly name = 'UsageError';
}
