import type { AppliedRevision, AudienceRecord } from '../state/schema.js';
import { epochSecondsOf } from '../state/instant.js';
import { recordId } from '../state/record-id.js';
import type { OlderCheckout, Step } from './schema.js';

/**
 * Whether a checkout is older than what was applied (README, "How it stays safe"). The git
 * facts are gathered at the edge (source/git-revision.ts) and passed in; this decides.
 */

/** What git says of a recorded commit against the checkout's HEAD. */
export type CommitRelation =
  /** HEAD contains it (it is HEAD, or one of its ancestors). */
  | 'contained'
  /** It is in this clone and HEAD does not contain it: HEAD is older, or the histories diverged. */
  | 'not-contained'
  /** Not in this clone (a shallow clone, a branch not fetched): only the commit times can tell. */
  | 'unknown';

/**
 * The steps that undo what was applied before: a PATCH back, a replacement, a change of the
 * recorded deletion policy or file, a removal. Creates, adoptions and runs undo nothing.
 */
const UNDOING: ReadonlySet<Step['kind']> = new Set(['update', 'replace', 'delete', 'forget']);

type Concerned = { step: Step; revision: AppliedRevision };

/** Each step that would be applied and undo a spec recorded with a commit. */
function concernedSteps(steps: readonly Step[], records: readonly AudienceRecord[]): Concerned[] {
  const revisions = new Map<string, AppliedRevision>();
  for (const record of records) {
    const revision = record.applied?.revision;
    if (revision) revisions.set(recordId(record.sandbox, record.key), revision);
  }
  const concerned: Concerned[] = [];
  if (revisions.size === 0) return concerned;
  for (const step of steps) {
    // A blocked step is not applied: it undoes nothing.
    if (!UNDOING.has(step.kind) || step.blocked !== undefined) continue;
    const revision = revisions.get(recordId(step.sandbox, step.key));
    if (revision) concerned.push({ step, revision });
  }
  return concerned;
}

/** The distinct commits the undoing steps' records were applied from; none when no step undoes one. */
export function recordedCommits(steps: readonly Step[], records: readonly AudienceRecord[]): string[] {
  return [...new Set(concernedSteps(steps, records).map(({ revision }) => revision.commit))].sort();
}

/**
 * The distinct commits git must be asked about: those of the undoing steps' records, other
 * than HEAD itself. Typically none or one (the commit of the last apply), never one a record.
 */
export function commitsToCheck(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  head: AppliedRevision,
): string[] {
  return recordedCommits(steps, records).filter((commit) => commit !== head.commit);
}

/**
 * The undoing steps whose record was applied from a commit `head` does not contain, or, for a
 * commit git cannot place (`unknown`), one committed after it. Undefined when there is none:
 * records without a commit (written before it was recorded, or outside git) never count.
 */
export function olderCheckout(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  head: AppliedRevision,
  relations: ReadonlyMap<string, CommitRelation>,
): OlderCheckout | undefined {
  const headTime = epochSecondsOf(head.committedAt);
  const audiences: OlderCheckout['audiences'] = [];
  for (const { step, revision } of concernedSteps(steps, records)) {
    if (revision.commit === head.commit) continue;
    const relation = relations.get(revision.commit) ?? 'unknown';
    if (relation === 'contained') continue;
    if (relation === 'unknown' && !(epochSecondsOf(revision.committedAt) > headTime)) continue;
    const why = relation === 'not-contained' ? 'not-contained' : 'newer';
    audiences.push({ sandbox: step.sandbox, key: step.key, kind: step.kind, revision, why });
  }
  if (audiences.length === 0) return undefined;
  const finding = { head, audiences };
  return {
    ...finding,
    note: `apply would refuse this plan: ${describeOlderCheckout(finding)}. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
  };
}

const short = (commit: string) => commit.slice(0, 7);

/** Up to three names, then a count: `a`, `a and b`, `a, b and c`, `a, b, c and 2 more`. */
function namesOf(ids: readonly string[]): string {
  if (ids.length > 3) return `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
  return ids.length === 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

/**
 * One clause naming the audiences and the newest commit concerned: `prod/x and prod/z were last
 * applied from commit 5d6e7f8 (committed …), which this checkout's HEAD 1a2b3c4 (committed …)
 * does not contain`. Audiences of other such commits are counted.
 */
export function describeOlderCheckout(
  finding: Pick<OlderCheckout, 'head' | 'audiences'>,
  headName = "this checkout's HEAD",
): string {
  const byCommit = new Map<string, OlderCheckout['audiences']>();
  for (const audience of finding.audiences) {
    const group = byCommit.get(audience.revision.commit) ?? [];
    group.push(audience);
    byCommit.set(audience.revision.commit, group);
  }
  const groups = [...byCommit.values()].sort(
    (a, b) => epochSecondsOf(b[0]!.revision.committedAt) - epochSecondsOf(a[0]!.revision.committedAt),
  );
  const [newest = [], ...others] = groups;
  const first = newest[0];
  if (first === undefined) return '';
  const { revision, why } = first;
  const head = `${headName} ${short(finding.head.commit)} (committed ${finding.head.committedAt})`;
  const which =
    why === 'not-contained'
      ? `which ${head} does not contain`
      : `which is not in this clone and was committed after ${head}`;
  const names = namesOf(newest.map((a) => recordId(a.sandbox, a.key)));
  const verb = newest.length === 1 ? 'was' : 'were';
  const rest = others.reduce((count, group) => count + group.length, 0);
  const more =
    others.length === 0 ? '' : `; and ${rest} more audience(s), from ${others.length} other such commit(s)`;
  return `${names} ${verb} last applied from commit ${short(revision.commit)} (committed ${revision.committedAt}), ${which}${more}`;
}
