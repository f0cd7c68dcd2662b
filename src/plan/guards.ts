import type { Step } from './schema.js';

export type DeletionGuardOptions = {
  /**
   * Most deletions (deletes and replaces) one plan may make; default the larger of 5 and 10% of
   * the audiences it could remove (plan.ts, `managed`). 0 means never: no delete and no replace,
   * whatever allowMassDelete says.
   */
  maxDeletes?: number | undefined;
  allowMassDelete: boolean;
  allowEmptySource: boolean;
  /** Let a refresh re-create more audiences it found missing than the deletion limit. */
  allowMassRecreate?: boolean | undefined;
};

export function defaultMaxDeletes(managed: number): number {
  return Math.max(5, Math.ceil(managed * 0.1));
}

/**
 * Why --max-deletes 0 stops a step. "Never" is read literally (a controller may carry
 * AUDIENCECTL_ALLOW_MASS_DELETE=true beside AUDIENCECTL_MAX_DELETES=0), so the flag that
 * lifts the limit does not lift this one.
 */
const NEVER_DELETE =
  '--max-deletes 0 forbids deletions, and --allow-mass-delete does not lift it; raise --max-deletes to allow this delete (a saved plan keeps the --max-deletes it was made with: plan it again)';
const NEVER_REPLACE =
  'a replacement deletes the audience, and --max-deletes 0 forbids deletions (--allow-mass-delete does not lift it); raise --max-deletes to allow it (a saved plan keeps the --max-deletes it was made with: plan it again)';

/** Why a replace is blocked whatever else allows it: its DELETE is a deletion, and --max-deletes 0 forbids them. */
export function replaceForbidden(options: Pick<DeletionGuardOptions, 'maxDeletes'>): string | undefined {
  return options.maxDeletes === 0 ? NEVER_REPLACE : undefined;
}

/**
 * Blocks every deletion when the source looks wrong rather than intended: it yielded nothing at
 * all, or it would delete more audiences than the limit; and every delete with --max-deletes 0.
 * `steps`: the plan's, its removals among them. A replace deletes its audience too (a new id:
 * whatever activated the old one loses it), so each replace not blocked already counts towards
 * the limit and is blocked with the deletes over it; --allow-replace is consent to one
 * audience's replacement, not to a mass deletion. (--max-deletes 0 blocks a replace where it is
 * planned, replaceForbidden.) Forgets delete nothing and are not counted.
 */
export function guardDeletions(
  steps: readonly Step[],
  context: { desiredCount: number; failedFiles: number; managed: number },
  options: DeletionGuardOptions,
): void {
  const removals = steps.filter((step) => step.kind === 'delete' || step.kind === 'forget');
  if (
    removals.length > 0 &&
    context.desiredCount === 0 &&
    context.failedFiles === 0 &&
    !options.allowEmptySource
  ) {
    const why = `the source yielded no manifests while ${context.managed} audience(s) are managed; refusing to remove them all (pass --allow-empty-source if that is intended)`;
    for (const step of removals) step.blocked = why;
    return;
  }
  const deletes = removals.filter((step) => step.kind === 'delete');
  if (options.maxDeletes === 0) {
    for (const step of deletes) step.blocked = NEVER_DELETE;
    return;
  }
  const replaces = steps.filter((step) => step.kind === 'replace' && !step.blocked);
  const deleting = [...deletes, ...replaces];
  const max = options.maxDeletes ?? defaultMaxDeletes(context.managed);
  if (deleting.length > max && !options.allowMassDelete) {
    const replaced = replaces.length > 0 ? ` (${replaces.length} of them replaced)` : '';
    const why = `the plan deletes ${deleting.length} audiences${replaced}, over the limit of ${max}; pass --allow-mass-delete (or raise --max-deletes) if that is intended`;
    for (const step of deleting) step.blocked = why;
  }
}

/**
 * Blocks every re-create a refresh planned when it found more recorded audiences missing
 * than the default deletion limit: that many audiences deleted outside audiencectl at once is less
 * likely than a wrong picture, and credentials of another IMS org (a store no write has
 * bound to its org yet) or a mixed-up sandbox look exactly like it. Re-created there, every
 * audience would exist twice, and the records would lose the real ones' ids.
 */
export function guardRecreates(steps: readonly Step[], managed: number, options: DeletionGuardOptions): void {
  const recreates = steps.filter((step) => step.goneAudienceId !== undefined && !step.blocked);
  // The default deletion limit, whatever --max-deletes says: 0 there means "never delete",
  // not "never re-create one audience deleted in the UI".
  const max = defaultMaxDeletes(managed);
  if (recreates.length <= max || options.allowMassRecreate) return;
  const why = `the refresh found ${recreates.length} recorded audiences missing from AEP, more than ${max} (the larger of 5 and 10% of the managed audiences); credentials of another IMS org, or of another sandbox, look exactly like this: check them, and pass --allow-mass-recreate if the audiences really were deleted outside audiencectl`;
  for (const step of recreates) step.blocked = why;
}
