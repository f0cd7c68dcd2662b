import { z } from 'zod';

const MESSAGE = 'must be a whole number of days (or such a number written as a string)';

/**
 * An audience's `ttlInDays` as a service answers it, read as a number. The page's tables say
 * Integer, but its create request sample sends `"ttlInDays": "40"`: a service that answers it as
 * that sample writes it failed every PATCH answer's reading (the PATCH applied, the step reported
 * failed, on every apply) and every audience list (no name lookup, no adoption). A string of
 * digits is read as its number; anything else is no answer, named.
 */
export const AnsweredTtl = z.unknown().transform((value, context): number => {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  context.addIssue({ code: 'custom', message: MESSAGE });
  return z.NEVER;
});
