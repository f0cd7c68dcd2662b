import { AudiencectlError } from '../errors.js';
import type { CommitRelation } from './older-checkout.js';
import type { OlderCheckout } from './schema.js';
import type { AppliedRevision } from '../state/schema.js';

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

/** Where a commit a shallow clone lacks is found: said by apply's refusal and plan's warning. */
export const HISTORY_CLONE =
  'a clone with its history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)';

/**
 * `cannot tell whether this checkout's HEAD 1a2b3c4 contains commit 5d6e7f8 (committed …), which
 * prod/x was last applied from: this clone is shallow and lacks it, and <why>`: the steps
 * `refused` whose commit git could not place (`unanswered`: why, as UnansweredHistoryError
 * gives it), named by the first such commit; the others counted. Not "does not contain": git
 * did not say so, and what would let it (a remote, a network) is in the why.
 */
export function describeUnanswered(
  refused: OlderCheckout['audiences'],
  unanswered: ReadonlyMap<string, string>,
  head: AppliedRevision,
  headName: string,
): string {
  const first = refused[0]!;
  const { commit, committedAt } = first.revision;
  const of = refused.filter((audience) => audience.revision.commit === commit);
  const undoing = of.filter((audience) => audience.kind !== 'create' && audience.kind !== 'adopt');
  const ids = undoing.map((audience) => `${audience.sandbox}/${audience.key}`);
  const who =
    ids.length > 0
      ? `${ids.join(', ')} ${ids.length === 1 ? 'was' : 'were'} last applied from`
      : `sandbox ${first.sandbox} was last applied from`;
  const others = new Set(refused.map((audience) => audience.revision.commit)).size - 1;
  const more = others > 0 ? ` (and ${others} other such commit(s))` : '';
  return `cannot tell whether ${headName} ${head.commit.slice(0, 7)} contains commit ${commit.slice(0, 7)} (committed ${committedAt}), which ${who}${more}: this clone is shallow and lacks it, and ${unanswered.get(commit)}`;
}
