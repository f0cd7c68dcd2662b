import { epochSecondsOf } from '../state/instant.js';
import type { AppliedRevision, RolledBackFrom, SandboxMark } from '../state/schema.js';
import type { CommitRelation } from './older-checkout.js';

/**
 * The commits a sandbox was rolled back from (SandboxMark.rolledBackFrom; docs/state.md, "Rolled
 * back"). `apply --allow-older-checkout` of a commit P over a mark X that P does not contain
 * moves the mark back to P; a clone still at X (never fetched) contains P, so the mark alone
 * would let it apply X again. The mark remembers X and when the rollback was applied: a
 * checkout whose HEAD contains X and was committed before the rollback is refused. One
 * committed since (a deliberate merge of X again) is not. The git facts are gathered at the
 * edge and passed in; this decides.
 */

/** How many rollbacks a mark remembers, newest first; older ones are dropped. */
export const ROLLBACKS_KEPT = 10;

/**
 * Whether `head` was committed before the rollback: its committer second is before the
 * rollback's (a commit made in the rollback's second counts as after it).
 */
function committedBefore(head: AppliedRevision, rollback: RolledBackFrom): boolean {
  return epochSecondsOf(head.committedAt) < epochSecondsOf(rollback.at);
}

/**
 * Whether `head` contains the commit rolled back from: it is HEAD, or git says HEAD contains it;
 * for a commit git cannot place (not in this clone: a shallow one), when it was committed no
 * later than HEAD.
 */
function containsRolledBack(
  head: AppliedRevision,
  rollback: RolledBackFrom,
  relations: ReadonlyMap<string, CommitRelation>,
): boolean {
  if (rollback.commit === head.commit) return true;
  const relation = relations.get(rollback.commit) ?? 'unknown';
  if (relation !== 'unknown') return relation === 'contained';
  return epochSecondsOf(rollback.committedAt) <= epochSecondsOf(head.committedAt);
}

/** The rollbacks a mark remembers (none for a mark written before they were). */
export function rollbacksOf(mark: SandboxMark | undefined): readonly RolledBackFrom[] {
  return mark?.rolledBackFrom ?? [];
}

/**
 * The newest rollback of `mark` that `head` would undo: HEAD contains the commit it rolled back
 * from and was committed before it. Undefined when there is none.
 */
export function rolledBackUnder(
  mark: SandboxMark | undefined,
  head: AppliedRevision,
  relations: ReadonlyMap<string, CommitRelation>,
): RolledBackFrom | undefined {
  return rollbacksOf(mark).find(
    (rollback) => committedBefore(head, rollback) && containsRolledBack(head, rollback, relations),
  );
}

/**
 * The rollbacks a mark moved to `next` keeps: those applied after `next` was committed (until
 * the mark is a commit made since a rollback, a clone at the commit rolled back from contains
 * the mark; after, the mark itself refuses it). With `--allow-older-checkout` (`override`), not
 * those `next` contains: applying such a commit anyway is the newest apply.
 */
export function rollbacksKept(
  mark: SandboxMark,
  next: AppliedRevision,
  relations: ReadonlyMap<string, CommitRelation>,
  override: boolean,
): RolledBackFrom[] {
  return rollbacksOf(mark).filter(
    (rollback) =>
      committedBefore(next, rollback) && !(override && containsRolledBack(next, rollback, relations)),
  );
}
