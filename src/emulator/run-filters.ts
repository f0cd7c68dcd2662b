import { validationError } from './errors.js';
import { epochSeconds, runStatus } from './lifecycle.js';
import type { RunRecord } from './model.js';

export type RunFilter = (run: RunRecord, nowMs: number) => boolean;

/**
 * `property` filters of the run list, as the page's commented-out section describes them:
 * `name` and `status` take `=`, `!=`, `=contains` and `!=contains`; `createdAt` takes
 * `>=`, `<=`, `>`, `<` and `=`, in epoch seconds (values in milliseconds, as the page's
 * example, are read as such). The page writes the contains operators `=contains`, the value
 * after them (`status=containsSUCC`); the platform's other filters close them with `=`
 * (`name=contains=gold`): both are read. Read as `=` on the text `containsSUCC`, the page's
 * spelling answered an empty list, silently (review runs-41, L-2).
 */
const FILTER = /^(name|status|createdAt)(!=contains=?|=contains=?|>=|<=|!=|=|<|>)(.*)$/;
const TEXT_OPERATORS = new Set(['=', '!=', '=contains', '!=contains']);
const TIME_OPERATORS = new Set(['>=', '<=', '>', '<', '=']);

/**
 * `createdAtMs`: the instant a run's createdAt answers (its own, or its audience's creation);
 * `status`: the status it answers.
 */
export function parseRunFilter(
  expression: string,
  createdAtMs: (run: RunRecord) => number = (run) => run.createdAtMs,
  /** The status a run is answered with (a run in progress in the reading's words). */
  status: (run: RunRecord, nowMs: number) => string = runStatus,
): RunFilter {
  const match = FILTER.exec(expression);
  const [, property, spelled, value] = match ?? [];
  // `=contains=` and `=contains` are one operator.
  const operator = spelled?.replace(/(contains)=$/, '$1');
  if (property === undefined || operator === undefined || value === undefined || value === '') {
    throw invalid(expression, 'expected <name|status|createdAt><operator><value>');
  }
  if (property === 'createdAt') {
    if (!TIME_OPERATORS.has(operator) || !/^\d+$/.test(value)) {
      throw invalid(expression, 'createdAt takes >=, <=, >, < or = and a whole epoch time');
    }
    const raw = Number(value);
    const seconds = raw > 99_999_999_999 ? epochSeconds(raw) : raw;
    return (run) => compareNumbers(epochSeconds(createdAtMs(run)), operator, seconds);
  }
  if (!TEXT_OPERATORS.has(operator)) {
    throw invalid(expression, `${property} takes =, !=, =contains or !=contains`);
  }
  const read = property === 'name' ? (run: RunRecord) => run.audienceName : status;
  return (run, nowMs) => compareText(read(run, nowMs), operator, value);
}

function compareNumbers(actual: number, operator: string, expected: number): boolean {
  switch (operator) {
    case '>=':
      return actual >= expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '<':
      return actual < expected;
    default:
      return actual === expected;
  }
}

function compareText(actual: string, operator: string, expected: string): boolean {
  const contains = actual.toLowerCase().includes(expected.toLowerCase());
  switch (operator) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '=contains':
      return contains;
    default:
      return !contains;
  }
}

function invalid(expression: string, message: string): Error {
  return validationError([{ path: 'property', message: `"${expression}": ${message}` }]);
}
