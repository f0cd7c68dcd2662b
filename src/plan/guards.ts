import type { Step } from './schema.js';

export type DeletionGuardOptions = {
  /** Most deletions one plan may make; default the larger of 5 and 10% of managed audiences. */
  maxDeletes?: number | undefined;
  allowMassDelete: boolean;
  allowEmptySource: boolean;
};

export function defaultMaxDeletes(managed: number): number {
  return Math.max(5, Math.ceil(managed * 0.1));
}

/**
 * Blocks every deletion when the source looks wrong rather than intended:
 * it yielded nothing at all, or it would delete more than the threshold.
 */
export function guardDeletions(
  steps: readonly Step[],
  context: { desiredCount: number; failedFiles: number; managed: number },
  options: DeletionGuardOptions,
): void {
  const removals = steps.filter((step) => step.kind === 'delete' || step.kind === 'forget');
  if (removals.length === 0) return;
  if (context.desiredCount === 0 && context.failedFiles === 0 && !options.allowEmptySource) {
    const why = `the source yielded no manifests while ${context.managed} audience(s) are managed; refusing to remove them all (pass --allow-empty-source if that is intended)`;
    for (const step of removals) step.blocked = why;
    return;
  }
  const deletes = removals.filter((step) => step.kind === 'delete');
  const max = options.maxDeletes ?? defaultMaxDeletes(context.managed);
  if (deletes.length > max && !options.allowMassDelete) {
    const why = `the plan deletes ${deletes.length} audiences, over the limit of ${max}; pass --allow-mass-delete (or raise --max-deletes) if that is intended`;
    for (const step of deletes) step.blocked = why;
  }
}
