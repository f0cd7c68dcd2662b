import type { StatusSnapshot } from './types.js';

/**
 * Why there is neither a plan nor a list of audiences: the last pass failed before it planned
 * (GET /plan says it too); null when it did not fail.
 */
export function failedBeforePlanning(
  reconcile: Pick<StatusSnapshot['reconcile'], 'lastResult' | 'lastError' | 'lastStartedAt'>,
): string | null {
  const { lastResult, lastError, lastStartedAt } = reconcile;
  if (lastResult !== 'failure' || lastError === null || lastStartedAt === null) return null;
  return `the last pass, started at ${lastStartedAt}, failed at ${lastError.at} before it planned (${lastError.code}: ${lastError.message})`;
}
