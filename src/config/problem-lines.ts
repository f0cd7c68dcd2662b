import { UsageError } from '../errors.js';
import type { ConfigProblem } from './types.js';

// How the configuration's problems are worded (file:line:col, or the variable), apart from the
// file's reader (read-file.ts: the yaml library, zod's schema), so that a command whose
// configuration is the environment alone words them without loading it (check.ts).

/** One line per problem: `file:line:col key: message`, or `VAR: message` for the environment. */
export function problemLines(name: string | undefined, problems: ConfigProblem[]): string[] {
  return problems.map((problem) => {
    const envKey = /^[A-Z][A-Z0-9_]*(, [A-Z][A-Z0-9_]*)*$/.test(problem.key);
    const place =
      envKey || name === undefined
        ? ''
        : `${name}${problem.line === undefined ? '' : `:${problem.line}:${problem.column ?? 1}`} `;
    return `${place}${problem.key}: ${problem.message}`;
  });
}

export function invalid(name: string | undefined, lines: string[]): UsageError {
  // One problem, one line: it names its own place (file:line:col, or the variable).
  if (lines.length === 1) return new UsageError('CONFIG_INVALID', `Invalid AEP configuration: ${lines[0]}`);
  const where = name === undefined ? 'the environment' : `${name} and the environment`;
  return new UsageError(
    'CONFIG_INVALID',
    `Invalid AEP configuration (from ${where}):\n${lines.map((line) => `  ${line}`).join('\n')}`,
  );
}
