import type { z } from 'zod';
import { flattenIssues, manifestErrorMap, pathToString } from '../manifest/issues.js';
import { Plan } from '../plan/schema.js';

/**
 * Why a file is not a saved plan, in one line that names the first bad field: a plan saved with
 * `plan --output json --out` and edited by hand (or by a script, or half copied) is told what to
 * look at (`origin.dir must be a string, not a number`), not only that it is "not a plan". The
 * values themselves are not repeated: only their JSON type.
 */

const EXPECTED: Partial<Record<string, string>> = { object: 'an object', array: 'an array' };

/** `an object`, `null`, `a number`: the JSON type of `value`, as a message names it. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((value) => JSON.stringify(value)).join(', ');
  return values.length === 1 ? shown : `one of ${shown}`;
}

/** zod's messages in a saved plan's words (JSON types); the rest as manifests word them. */
const savedPlanErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is missing';
      return `must be ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}, not ${jsonType(issue.input)}`;
    case 'invalid_value':
      return issue.input === undefined ? 'is missing' : `must be ${oneOf(issue.values)}`;
    case 'invalid_union': {
      // A step's `kind` that names no kind: zod's input is the step, its path ends in the key.
      const options: unknown = 'options' in issue ? issue.options : undefined;
      if (issue.discriminator === undefined || !Array.isArray(options)) break;
      const input = issue.input as Record<string, unknown> | undefined;
      return input?.[issue.discriminator] === undefined ? 'is missing' : `must be ${oneOf(options)}`;
    }
    default:
      break;
  }
  return manifestErrorMap(issue);
};

export type SavedPlanCheck = { ok: true; plan: Plan } | { ok: false; problem: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The path of the first field of `json` that reading it as a plan dropped (zod strips what the
 * format does not name): a field a newer release writes (a guard, an option of its own) that
 * this one would apply the plan without, not a field of any plan this release saves.
 */
function firstUnknownField(
  json: unknown,
  parsed: unknown,
  at: PropertyKey[] = [],
): PropertyKey[] | undefined {
  if (Array.isArray(json) && Array.isArray(parsed)) {
    for (const [index, item] of json.entries()) {
      const found = firstUnknownField(item, parsed[index], [...at, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(json) || !isObject(parsed)) return undefined;
  for (const [key, value] of Object.entries(json)) {
    if (!Object.hasOwn(parsed, key)) return [...at, key];
    const found = firstUnknownField(value, parsed[key], [...at, key]);
    if (found) return found;
  }
  return undefined;
}

/** `json` read as a plan; else its first problem, as `origin.dir must be a string, not a number`. */
export function checkSavedPlan(json: unknown): SavedPlanCheck {
  const parsed = Plan.safeParse(json, { error: savedPlanErrorMap });
  if (parsed.success) {
    // Dropped without a word, a field this release does not know was applied as if absent.
    const unknown = firstUnknownField(json, parsed.data);
    if (unknown === undefined) return { ok: true, plan: parsed.data };
    return { ok: false, problem: `${pathToString(unknown)} is not a field of this version's plans` };
  }
  const [first] = flattenIssues(parsed.error.issues);
  if (!first) return { ok: false, problem: 'it does not match the plan format' };
  const where = pathToString(first.key === undefined ? first.path : [...first.path, first.key]);
  return { ok: false, problem: where ? `${where} ${first.message}` : `its top level ${first.message}` };
}
