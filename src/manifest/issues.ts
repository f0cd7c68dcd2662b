import type { z } from 'zod';

export type FlatIssue = {
  path: PropertyKey[];
  key?: string;
  rule: string;
  message: string;
  /** The refused character of a `text/*` rule, to point at it in the source. */
  char?: string;
};

function charOf(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'custom') return undefined;
  const char = (issue.params as { char?: unknown } | undefined)?.char;
  return typeof char === 'string' ? char : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number') return `number ${String(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

const TYPE_NAMES: Partial<Record<string, string>> = { object: 'a map', array: 'a list' };

/** Messages a person can act on, instead of zod's generic ones. */
export const manifestErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      // 1e400, .inf, .nan: a number YAML reads, that JSON would show as null.
      if (typeof issue.input === 'number' && !Number.isFinite(issue.input))
        return `must be a finite number, not ${String(issue.input)}`;
      return `must be ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}, not ${describe(issue.input)}`;
    case 'invalid_value':
      if (issue.input === undefined) {
        return `is required (${issue.values.map((v) => JSON.stringify(v)).join(' or ')})`;
      }
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${describe(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      return `must be at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
};

function ruleOf(issue: z.core.$ZodIssue): string {
  const custom = issue.code === 'custom' ? (issue.params as { rule?: string } | undefined)?.rule : undefined;
  return custom ?? `schema/${issue.code.replaceAll('_', '-')}`;
}

/**
 * Flattens zod issues into one entry per problem: unknown keys become one issue
 * per key (pointing at the key), and a union reports only its closest branch.
 */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): FlatIssue[] {
  const flat: FlatIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        flat.push({ path, key, rule: 'schema/unknown-key', message: `unknown key "${key}"` });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      flat.push(...flattenIssues(closest, path));
    } else {
      const char = charOf(issue);
      flat.push({ path, rule: ruleOf(issue), message: issue.message, ...(char ? { char } : {}) });
    }
  }
  return flat;
}

export function pathToString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
