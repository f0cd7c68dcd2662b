import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { diffSpecs } from './diff.js';
import type { AppliedTarget, FieldChange } from './schema.js';
import { desiredHash, updateReason } from './step-builders.js';
import { withUnknown } from './unknown-after-patch.js';

/**
 * The manifest's edits a blocked update holds back (an audience deactivated in the UI, which no
 * call reactivates): what it would PATCH against what was last applied. Shown on the blocked
 * step, so that the reviewer sees that an edit waits, and which, rather than a PATCH nobody was
 * told of after the reactivation (review cli-40). None for an audience never applied by us.
 */
export function waitingEdits(
  desired: DesiredManifest,
  record: AudienceRecord,
  target: () => AppliedTarget,
): FieldChange[] {
  const { applied } = record;
  if (applied === undefined) return [];
  const own = applied.hash === desiredHash(desired, target) ? [] : diffSpecs(applied.spec, target().spec);
  return withUnknown(own, record, applied.spec, target().spec);
}

/** The blocked step's reason: `why`, and the edits it holds back until the reactivation. */
export function waitingReason(why: string, edits: readonly FieldChange[]): string {
  if (edits.length === 0) return why;
  return `${why}; ${updateReason(edits)}, held until it is reactivated`;
}
