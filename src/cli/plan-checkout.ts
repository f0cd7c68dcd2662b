import {
  commitsToCheck,
  keptBeneath,
  marksOfRepository,
  olderCheckout,
  prefixedMarks,
  recordedCommits,
} from '../plan/older-checkout.js';
import type { OlderCheckout, Plan } from '../plan/schema.js';
import { knownRoots, rootCommits } from '../source/work-tree-repository.js';
import type { AppliedRevision, RecordedState } from '../state/schema.js';

/**
 * What `plan` says of the checkout's commit: the steps `apply` would refuse as undoing a
 * newer commit or create again in a sandbox last applied from one (a warning; the steps stay as
 * planned), and HEAD, which a saved plan records. git is run only when a step undoes a spec
 * recorded with a commit, or creates in a sandbox marked with one, or for a saved plan.
 */
export async function planCheckout(
  dir: string,
  plan: Pick<Plan, 'steps'>,
  recorded: RecordedState,
  wantHead: boolean,
  repository?: string,
): Promise<{ head?: AppliedRevision; older?: OlderCheckout }> {
  // Another repository sharing the store marks its sandboxes with its own commits. One whose
  // path differs from this one's by a prefix is told by the roots (git asked only then).
  const all = recorded.meta?.revisions;
  // Those its own mark recorded spare git the walk of the whole history (rootCommits).
  const roots =
    repository !== undefined && prefixedMarks(all, repository)
      ? await rootCommits(dir, knownRoots(all, repository))
      : undefined;
  const marks = marksOfRepository(all, repository, roots);
  if (!wantHead && recordedCommits(plan.steps, recorded.audiences, marks).length === 0) return {};
  const { commitRelations, headRevision } = await import('../source/git-revision.js');
  const found = await headRevision(dir);
  if (found.kind !== 'commit') return {};
  const { head } = found;
  const asked = commitsToCheck(plan.steps, recorded.audiences, head, marks);
  const relations =
    asked.length === 0 ? new Map() : await commitRelations(dir, head.commit, asked, repository !== undefined);
  const kept = keptBeneath(all, repository, roots);
  const older = olderCheckout(plan.steps, recorded.audiences, head, relations, marks, kept, repository);
  return { head, ...(older ? { older } : {}) };
}
