import type { z } from 'zod';
import { validationError, type ErrorItem } from './errors.js';

/** `['fields', 0, 'type']` -> `fields[0].type`; the root is called `root` (e.g. "body"). */
export function formatPath(path: readonly PropertyKey[], root: string): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? root : text;
}

export function issuesToItems(error: z.ZodError, root: string): ErrorItem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path, root), message: issue.message }));
}

/** Parses where a request enters; a mismatch is the appendix's 100910-400. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(issuesToItems(result.error, root));
  return result.data;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
