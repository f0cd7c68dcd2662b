import {
  commitsToCheck,
  keptBeneath,
  marksOfRepository,
  olderCheckout,
  prefixedMarks,
  recordedCommits,
  ownRecordTimes,
  type CommitRelation,
} from '../plan/older-checkout.js';
import { describeUnanswered, HISTORY_CLONE, UnansweredHistoryError } from '../plan/unanswered-history.js';
import type { OlderCheckout, Plan } from '../plan/schema.js';
import { knownRoots, rootCommits } from '../source/work-tree-repository.js';
import type { AppliedRevision, RecordedState } from '../state/schema.js';
import { gitSilenceMs } from './git-timeout.js';

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
  /** planRoots' answer. */
  roots?: readonly string[],
): Promise<{ head?: AppliedRevision; older?: OlderCheckout }> {
  const all = recorded.meta?.revisions;
  const marks = marksOfRepository(all, repository, roots);
  if (!wantHead && recordedCommits(plan.steps, recorded.audiences, marks).length === 0) return {};
  const { commitRelations, endDeepening, headRevision } = await import('../source/git-revision.js');
  const found = await headRevision(dir);
  if (found.kind !== 'commit') return {};
  const { head } = found;
  const asked = commitsToCheck(plan.steps, recorded.audiences, head, marks);
  // A shallow clone is deepened to place what it lacks, as apply does (apply-revision.ts): the
  // plan warns of what apply would refuse. Where git cannot answer, apply refuses those steps
  // (APPLY_SHALLOW_UNANSWERED): placed as not contained, the plan warns of them too.
  const deepen = {
    deepening: { headCommittedAt: head.committedAt, silenceMs: () => gitSilenceMs() },
    times: ownRecordTimes(plan.steps, recorded.audiences, repository),
  };
  // The commits git could not place, and why (UnansweredHistoryError).
  const unanswered = new Map<string, string>();
  const relations: ReadonlyMap<string, CommitRelation> =
    asked.length === 0
      ? new Map()
      : await commitRelations(dir, head.commit, asked, repository !== undefined, deepen)
          .catch((error: unknown) => {
            if (!(error instanceof UnansweredHistoryError)) throw error;
            const placed = new Map(error.relations);
            for (const commit of error.commits) {
              placed.set(commit, 'absent');
              unanswered.set(commit, error.why);
            }
            return placed;
          })
          // Its one check is done: the history fetched for it goes now, not at the exit.
          .finally(() => endDeepening(deepen.deepening));
  const kept = keptBeneath(all, repository, roots);
  const older = olderCheckout(plan.steps, recorded.audiences, head, relations, marks, kept, repository);
  if (older === undefined) return { head };
  // apply refuses these first (checkout-guard.ts), saying git could not tell: so does the warning.
  const refused = older.audiences.filter((audience) => unanswered.has(audience.revision.commit));
  if (refused.length === 0) return { head, older };
  const note = `apply would refuse this plan: ${describeUnanswered(refused, unanswered, head, "this checkout's HEAD")}. Plan from ${HISTORY_CLONE}, or apply with --allow-older-checkout`;
  // Placed as absent to be listed, they are not known not to be contained: their `why` says so.
  const audiences = older.audiences.map((audience) =>
    unanswered.has(audience.revision.commit) ? { ...audience, why: 'unanswered' as const } : audience,
  );
  return { head, older: { ...older, audiences, note } };
}

/**
 * The root commits of the clone `dir` a plan of `repository` is made in, when the store's marks
 * need them: another repository sharing the store marks its sandboxes with its own commits, and
 * one whose path differs from this one's by a prefix is told by the roots (sameMarkRepository),
 * its records too (plan/other-histories.ts). git is asked only then; the roots this
 * repository's own mark recorded spare it the walk of the whole history (rootCommits).
 */
export async function planRoots(
  dir: string,
  recorded: RecordedState | undefined,
  repository: string | undefined,
): Promise<string[] | undefined> {
  const all = recorded?.meta?.revisions;
  return repository !== undefined && prefixedMarks(all, repository)
    ? await rootCommits(dir, knownRoots(all, repository))
    : undefined;
}
