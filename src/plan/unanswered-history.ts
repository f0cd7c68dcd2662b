import { AudiencectlError } from '../errors.js';
import type { CommitRelation } from './older-checkout.js';

/**
 * git could not say whether a shallow clone's HEAD contains recorded commits it lacks: the
 * clone has no remote to deepen its history from, or the fetch failed (offline, refused).
 * Thrown by commitRelations (source/git-revision.ts) for `commits`, with what it could say of
 * the others (`relations`); the apply's check (apply/checkout-guard.ts) refuses the steps they
 * concern rather than judge them by commit time, which cannot tell a sibling branch committed
 * later from a descendant (review scope-48).
 */
export class UnansweredHistoryError extends AudiencectlError {
  override readonly name = 'UnansweredHistoryError';
  constructor(
    /** The recorded commits missing from the clone that git could not place. */
    readonly commits: readonly string[],
    /** Why, as a clause: "it has no remote to fetch its history from". */
    readonly why: string,
    /** What git said of the commits asked, those of `commits` `unknown`. */
    readonly relations: ReadonlyMap<string, CommitRelation>,
  ) {
    super('APPLY_SHALLOW_UNANSWERED', `this clone is shallow and lacks ${commits.join(', ')}, and ${why}`);
  }
}
