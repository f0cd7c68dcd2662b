import type { AppliedRevision, AudienceRecord } from '../state/schema.js';
import { epochSecondsOf } from '../state/instant.js';
import { sameRepository } from '../manifest/source-root.js';
import { recordId } from '../state/record-id.js';
import {
  sameMarkRepository,
  type MarkedRepository,
  type SandboxRevisions,
} from '../state/sandbox-revisions.js';
import type { SandboxMark } from '../state/schema.js';
import { ROLLBACKS_KEPT, rollbacksKept, rollbacksOf, rolledBackUnder } from './rolled-back.js';
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
  /** Not in this clone, which is not shallow (a branch not fetched): HEAD does not contain it. */
  | 'absent'
  /** Not in this shallow clone, or git failed: only the commit times can tell. */
  | 'unknown';

/**
 * The steps that undo what was applied before: a PATCH back, a replacement, a change of the
 * recorded deletion policy or file, a removal. Creates, adoptions and runs undo nothing.
 */
const UNDOING: ReadonlySet<Step['kind']> = new Set(['update', 'replace', 'delete', 'forget']);

/**
 * The steps that bring back an audience a newer commit removed: its record is gone with it, so
 * only the commit its sandbox was last applied from (StateMeta.revisions) can tell.
 */
const RECREATING: ReadonlySet<Step['kind']> = new Set(['create', 'adopt']);

/**
 * A step and the commits it is checked against: its record's first, then its sandbox's mark;
 * and that mark, whose rollbacks it is checked against too (plan/rolled-back.ts).
 */
type Concerned = { step: Step; revisions: AppliedRevision[]; mark: SandboxMark | undefined };

/**
 * Each step that would be applied and undo a spec recorded with a commit, or undo or create (or
 * adopt) an audience in a sandbox marked with the commit last applied to it. An undoing step is
 * checked against both: an apply that changed nothing of the audience (a revert of its removal,
 * applied) marked its sandbox and left its record's older commit.
 */
function concernedSteps(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  marks: SandboxRevisions = {},
): Concerned[] {
  // A blocked step is not applied: it undoes nothing.
  const applied = steps.filter((step) => step.blocked === undefined);
  // Records are indexed only when a step undoes one: a no-change plan reads none here.
  const byId = applied.some((step) => UNDOING.has(step.kind)) ? revisionsById(records) : undefined;
  const concerned: Concerned[] = [];
  for (const step of applied) {
    const undoing = UNDOING.has(step.kind);
    if (!undoing && !RECREATING.has(step.kind)) continue;
    const own = undoing ? byId?.get(recordId(step.sandbox, step.key)) : undefined;
    const mark = markOf(step.sandbox, marks);
    const revisions = [own, mark].filter((revision) => revision !== undefined);
    if (mark !== undefined && own?.commit === mark.commit) revisions.pop();
    if (revisions.length > 0 || rollbacksOf(mark).length > 0) concerned.push({ step, revisions, mark });
  }
  return concerned;
}

/**
 * The commit a record was last written from: its applied spec's, else its import's (`state
 * import` from a git checkout records one, and an apply writes `applied` after it), so that an
 * older checkout, which lacks the manifest of an imported audience, cannot delete it. An apply
 * since the import that recorded no commit (outside git) leaves the import's in force: no
 * commit newer than it is known.
 */
export function recordRevision(record: AudienceRecord): AppliedRevision | undefined {
  return record.applied?.revision ?? record.imported?.revision;
}

/**
 * The committer time recorded of each commit a step of `steps` would undo (delete, PATCH back,
 * replace, forget) of a record of `repository` (the plan's, as the record names it) or naming
 * none: what a shallow clone lacking it is deepened to place (source/git-revision.ts,
 * deepenFor). A record naming none was applied by a work tree that named none (this
 * repository before its remote was added, or an earlier release's): taken by its time, a
 * depth-1 clone of a sibling branch PATCHed back what main's commit applied. A full clone
 * already refuses such a commit it lacks (commitRelationsIn: absent); deepened, the shallow one
 * finds it or refuses too, and where git cannot answer, refuses: never an undo on a guess. Not
 * the commits of marks, nor of records naming another repository sharing the store: those are
 * judged as before (by their time), and their commits are not to be asked of this clone's
 * remote, which lacks them (review of c3ae4fb7's revert).
 */
export function ownRecordTimes(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  repository: string | undefined,
): Map<string, string> {
  const times = new Map<string, string>();
  const undoing = steps.filter((step) => step.blocked === undefined && UNDOING.has(step.kind));
  if (undoing.length === 0) return times;
  const wanted = new Set(undoing.map((step) => recordId(step.sandbox, step.key)));
  for (const record of records) {
    const own = record.repository === undefined || record.repository === repository;
    if (!own || !wanted.has(recordId(record.sandbox, record.key))) continue;
    const revision = recordRevision(record);
    if (revision !== undefined && !times.has(revision.commit))
      times.set(revision.commit, revision.committedAt);
  }
  return times;
}

function revisionsById(records: readonly AudienceRecord[]): Map<string, AppliedRevision> {
  const revisions = new Map<string, AppliedRevision>();
  for (const record of records) {
    const revision = recordRevision(record);
    if (revision) revisions.set(recordId(record.sandbox, record.key), revision);
  }
  return revisions;
}

function markOf(sandbox: string, marks: SandboxRevisions): SandboxMark | undefined {
  return Object.hasOwn(marks, sandbox) ? marks[sandbox] : undefined;
}

/**
 * The distinct commits the undoing steps' records, and the creating steps' sandboxes, were
 * applied from, and those their sandboxes were rolled back from; none when no step concerns one.
 */
export function recordedCommits(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  marks?: SandboxRevisions,
): string[] {
  const commits = concernedSteps(steps, records, marks).flatMap(({ revisions, mark }) => [
    ...revisions.map((revision) => revision.commit),
    ...rollbacksOf(mark).map((rollback) => rollback.commit),
  ]);
  return [...new Set(commits)].sort();
}

/**
 * The distinct commits git must be asked about: those of `recordedCommits` other than HEAD
 * itself. Typically none or one (the commit of the last apply), never one a record or sandbox.
 */
export function commitsToCheck(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  head: AppliedRevision,
  marks?: SandboxRevisions,
): string[] {
  return recordedCommits(steps, records, marks).filter((commit) => commit !== head.commit);
}

/**
 * Why `revision` is newer than `head` (`not-contained`: HEAD does not contain it; `newer`: git
 * cannot place it and it was committed after HEAD), or undefined when it is not.
 */
function newerThanHead(
  revision: AppliedRevision,
  head: AppliedRevision,
  relations: ReadonlyMap<string, CommitRelation>,
): OlderCheckout['audiences'][number]['why'] | undefined {
  if (revision.commit === head.commit) return undefined;
  const relation = relations.get(revision.commit) ?? 'unknown';
  if (relation === 'contained') return undefined;
  if (relation === 'not-contained' || relation === 'absent') return 'not-contained';
  return epochSecondsOf(revision.committedAt) > epochSecondsOf(head.committedAt) ? 'newer' : undefined;
}

/**
 * The undoing steps whose record was applied from a commit `head` does not contain, or, for a
 * commit git cannot place (`unknown`), one committed after it; and the steps that undo, create
 * or adopt in a sandbox whose mark (`marks`) is such a commit (an undoing step is named with its
 * record's commit when both are); and, of the others, those that undo, create or adopt in a
 * sandbox rolled back from a commit HEAD contains, after HEAD was committed (`rolled-back`:
 * plan/rolled-back.ts). Undefined when there is none: records and sandboxes without a commit
 * (written before it was recorded, or outside git) never count. `kept`: the sandboxes whose mark
 * in `marks` is this repository's, kept beneath another repository's (keptBeneath), which the
 * note then names as this repository's last apply there, not the sandbox's.
 */
export function olderCheckout(
  steps: readonly Step[],
  records: readonly AudienceRecord[],
  head: AppliedRevision,
  relations: ReadonlyMap<string, CommitRelation>,
  marks?: SandboxRevisions,
  kept: ReadonlySet<string> = new Set(),
  repository?: string,
): OlderCheckout | undefined {
  const audiences: OlderCheckout['audiences'] = [];
  for (const { step, revisions, mark } of concernedSteps(steps, records, marks)) {
    const { sandbox, key, kind } = step;
    const newer = revisions
      .map((revision) => ({ revision, why: newerThanHead(revision, head, relations) }))
      .find(({ why }) => why !== undefined);
    if (newer?.why !== undefined) {
      const ofMark = newer.revision === mark;
      const keptMark = ofMark && kept.has(sandbox) ? { keptMark: true as const } : {};
      const prefixed = ofMark ? prefixedOf(mark, repository) : {};
      audiences.push({
        sandbox,
        key,
        kind,
        revision: newer.revision,
        why: newer.why,
        ...keptMark,
        ...prefixed,
      });
      continue;
    }
    const rollback = rolledBackUnder(mark, head, relations);
    if (rollback === undefined) continue;
    const { commit, committedAt, to, at } = rollback;
    audiences.push({
      sandbox,
      key,
      kind,
      revision: { commit, committedAt },
      why: 'rolled-back',
      rolledBack: { to, at },
    });
  }
  if (audiences.length === 0) return undefined;
  const finding = { head, audiences };
  const prefixed = prefixedMark(finding);
  if (prefixed !== undefined)
    return {
      ...finding,
      note: `apply would refuse this plan: ${describeOlderCheckout(finding)}. ${prefixedAdvice(prefixed, 'pull or fetch the newer commit and plan from it', 'apply with --allow-older-checkout')}`,
    };
  const advice = onlyRolledBack(finding)
    ? `${ROLLED_BACK_ADVICE} and plan from it`
    : 'Pull or fetch the newer commit and plan from it';
  return {
    ...finding,
    note: `apply would refuse this plan: ${describeOlderCheckout(finding)}. ${advice}, or apply with --allow-older-checkout`,
  };
}

/** Prefixed (OlderCheckout): the repositories of a mark whose path differs from the plan's by a prefix. */
type Prefixed = NonNullable<OlderCheckout['audiences'][number]['prefixed']>;

/**
 * `{ prefixed }` when a mark of `marked` is of another path than the plan's `planned` (taken for
 * the same repository by a prefix, marksOfRepository): the subgroups' marketing/emea/audiences
 * against emea/audiences, whose mark no pull of the other ever brings (review scope-43, M-2);
 * `shallow` when that mark was applied from a shallow history, why its roots did not tell.
 */
function prefixedOf(mark: SandboxMark, planned: string | undefined): { prefixed?: Prefixed } {
  const { repository: marked } = mark;
  if (marked === undefined || planned === undefined || marked === planned) return {};
  return { prefixed: { repository: marked, planned, ...(mark.shallow ? { shallow: true as const } : {}) } };
}

/**
 * The prefixed mark that refuses `finding`, when the newest commit refusing it (the one the
 * refusal names: describeNewer) is such a mark; none when a step is refused as undoing a rollback,
 * or by a commit of this checkout's own repository (not a prefixed mark): this checkout is then
 * older than its own repository's last apply, which only a pull makes right. Told that two
 * repositories pass --allow-older-checkout, its reader deleted an audience of its own
 * repository's newer commit (review verify-43, M-1).
 */
export function prefixedMark(finding: Pick<OlderCheckout, 'audiences'>): Prefixed | undefined {
  if (finding.audiences.some((audience) => audience.why === 'rolled-back')) return undefined;
  if (finding.audiences.some((audience) => audience.prefixed === undefined)) return undefined;
  const newest = [...finding.audiences].sort(
    (a, b) => epochSecondsOf(b.revision.committedAt) - epochSecondsOf(a.revision.committedAt),
  )[0];
  return newest?.prefixed;
}

/**
 * What to do of a refusal by a prefixed mark: `pull`, if the two paths are one repository;
 * `anyway`, if they are two sharing the store, whose records this plan holds, never deletes
 * (plan/elsewhere.ts, `prefixed-repository`).
 */
export function prefixedAdvice(prefixed: Prefixed, pull: string, anyway: string): string {
  const { repository, planned } = prefixed;
  const advice = `${repository} and this checkout's ${planned} differ by a prefix: if they are one repository (a mirror's path), ${pull}; if they are two (another group's repository of the same name, GitLab subgroups, sharing the store), ${anyway}, which deletes none of ${repository}'s audiences (their removals are held)`;
  // The way out that ends these refusals: the marks' roots tell two histories apart.
  return prefixed.shallow
    ? `${advice}. Their root commits could not tell them apart: ${repository}'s mark was applied from a shallow history (a shallow clone, or a controller's --git-depth fetch), whose cut-off commits are no roots, so it records none; applied from its full history (a clone without --depth, a controller without --git-depth), its next mark records them`
    : advice;
}

/**
 * What to do of a checkout refused as undoing a rollback: `git pull` keeps a commit the
 * branch was rolled back from (HEAD is ahead of the branch), so it says to check out the branch.
 */
export const ROLLED_BACK_ADVICE =
  'Fetch and check out the branch as pushed (git pull keeps the commit rolled back from)';

/** Whether every step of `finding` is refused as undoing a rollback (none as undoing a newer apply). */
export function onlyRolledBack(finding: Pick<OlderCheckout, 'audiences'>): boolean {
  return finding.audiences.every((audience) => audience.why === 'rolled-back');
}

/**
 * The marks a plan of the manifests of `repository` (its root commits `roots`, when known) is
 * checked against: of each sandbox, the mark on top when it was applied from the same repository
 * (sameMarkRepository) or either is unknown, else that repository's own last mark kept beside it
 * (SandboxMark.otherRepositories), else none. Another repository sharing the store marks the
 * sandboxes it applies with its own commits, which this one's history never holds.
 */
export function marksOfRepository(
  marks: SandboxRevisions | undefined,
  repository: string | undefined,
  roots?: readonly string[],
): SandboxRevisions {
  if (marks === undefined) return {};
  if (repository === undefined) return marks;
  let own: SandboxRevisions = {};
  let same = true;
  for (const [sandbox, mark] of Object.entries(marks)) {
    const found = markOfRepository(mark, { repository, roots });
    if (found !== mark) same = false;
    // A computed key is an own property, `__proto__` too.
    if (found !== undefined) own = { ...own, [sandbox]: found };
  }
  return same ? marks : own;
}

/**
 * The sandboxes whose mark of `repository` (marksOfRepository) is its own kept beside another
 * repository's on top (SandboxMark.otherRepositories): the sandbox was last applied from that
 * other repository's commit since, so a refusal names the mark as this repository's last apply.
 */
export function keptBeneath(
  marks: SandboxRevisions | undefined,
  repository: string | undefined,
  roots?: readonly string[],
): Set<string> {
  const kept = new Set<string>();
  if (marks === undefined || repository === undefined) return kept;
  for (const [sandbox, mark] of Object.entries(marks)) {
    const found = markOfRepository(mark, { repository, roots });
    if (found !== undefined && found !== mark) kept.add(sandbox);
  }
  return kept;
}

/**
 * Whether a mark of `marks` (on top or kept beside) is of a repository whose path differs from
 * `repository`'s by a prefix: only then do the plan's root commits tell its marks (sameMarkRepository).
 */
export function prefixedMarks(marks: SandboxRevisions | undefined, repository: string | undefined): boolean {
  if (marks === undefined || repository === undefined) return false;
  const prefixed = (other: string | undefined) =>
    other !== undefined && other !== repository && sameRepository(other, repository);
  return Object.values(marks).some(
    (mark) =>
      prefixed(mark.repository) || (mark.otherRepositories ?? []).some((other) => prefixed(other.repository)),
  );
}

/** The mark of `planned` a sandbox marked `mark` holds (marksOfRepository). */
function markOfRepository(mark: SandboxMark, planned: MarkedRepository): SandboxMark | undefined {
  const { repository } = mark;
  if (repository === undefined || sameMarkRepository({ ...mark, repository }, planned)) return mark;
  return mark.otherRepositories?.find((other) => sameMarkRepository(other, planned));
}

/**
 * The distinct marks of `sandboxes` git must be asked about before an apply of `head` moves
 * them (marksToMove, markAfter): those other than HEAD itself, and the commits they were
 * rolled back from.
 */
export function markCommitsToCheck(
  sandboxes: readonly string[],
  marks: SandboxRevisions,
  head: AppliedRevision,
): string[] {
  const commits = new Set<string>();
  for (const sandbox of sandboxes) {
    const mark = markOf(sandbox, marks);
    if (mark === undefined) continue;
    for (const commit of [mark.commit, ...rollbacksOf(mark).map((rollback) => rollback.commit)])
      if (commit !== head.commit) commits.add(commit);
  }
  return [...commits].sort();
}

/**
 * The mark a sandbox marked `current` gets from an apply of `next` (a write, or markPlanned):
 * `next`, keeping the rollbacks that still matter (rollbacksKept). With `override`
 * (--allow-older-checkout, or a controller's pass of its synced revision), a `current` newer
 * than `next` (as olderCheckout judges) is a rollback: `next` remembers it, applied `at`,
 * newest first, at most ROLLBACKS_KEPT. Without, a `next` that a rollback of `current` refuses
 * (it only started runs there) leaves `current`: a clone the sandbox was rolled back from never
 * moves its mark back onto that line. `current` of another repository is passed as undefined.
 */
export function markAfter(
  current: SandboxMark | undefined,
  next: SandboxMark,
  relations: ReadonlyMap<string, CommitRelation>,
  how: { override: boolean; at: string },
): SandboxMark {
  const { commit, committedAt, repository, roots, shallow } = next;
  const plain: SandboxMark = {
    commit,
    committedAt,
    ...(repository === undefined ? {} : { repository }),
    ...(roots === undefined ? {} : { roots }),
    ...(shallow === true ? { shallow } : {}),
  };
  if (current === undefined) return plain;
  if (current.commit === commit)
    return { ...plain, ...(current.rolledBackFrom ? { rolledBackFrom: current.rolledBackFrom } : {}) };
  if (!how.override && rolledBackUnder(current, next, relations) !== undefined) return current;
  const rollbacks = rollbacksKept(current, next, relations, how.override);
  if (how.override && newerThanHead(current, next, relations) !== undefined)
    rollbacks.unshift({
      commit: current.commit,
      committedAt: current.committedAt,
      to: next.commit,
      at: how.at,
    });
  return rollbacks.length === 0 ? plain : { ...plain, rolledBackFrom: rollbacks.slice(0, ROLLBACKS_KEPT) };
}

/**
 * The sandboxes of `sandboxes` whose mark an apply of `head` sets to it though it wrote nothing
 * there (README, "How it stays safe"): those without a mark, or marked with a commit other than
 * HEAD that is not newer than it (as olderCheckout judges). A newer mark stays: an older
 * checkout with nothing to change there applied nothing a newer commit did not.
 */
export function marksToMove(
  sandboxes: readonly string[],
  marks: SandboxRevisions,
  head: AppliedRevision,
  relations: ReadonlyMap<string, CommitRelation>,
): string[] {
  return [...new Set(sandboxes)].sort().filter((sandbox) => {
    const mark = markOf(sandbox, marks);
    if (mark === undefined) return true;
    if (mark.commit === head.commit) return false;
    // A checkout of a line the sandbox was rolled back from leaves its mark too.
    return (
      newerThanHead(mark, head, relations) === undefined &&
      rolledBackUnder(mark, head, relations) === undefined
    );
  });
}

const short = (commit: string) => commit.slice(0, 7);

/** Up to three names, then a count: `a`, `a and b`, `a, b and c`, `a, b, c and 2 more`. */
function namesOf(ids: readonly string[]): string {
  if (ids.length > 3) return `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
  return ids.length === 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

/** A creation or adoption, which the mark of its sandbox concerns, not a record of its own. */
const recreates = (audience: OlderCheckout['audiences'][number]) => RECREATING.has(audience.kind);

/** `prod/y would be created again` (or adopted: the verb says which). */
function recreatedClause(group: OlderCheckout['audiences']): string {
  const kinds = new Set(group.map((a) => a.kind));
  let verb = kinds.has('adopt') ? 'adopted' : 'created';
  if (kinds.size > 1) verb = 'created or adopted';
  return `${namesOf(group.map((a) => recordId(a.sandbox, a.key)))} would be ${verb} again`;
}

/** `sandbox prod`, `sandboxes dev and prod`. */
function sandboxesOf(group: OlderCheckout['audiences']): string {
  const sandboxes = [...new Set(group.map((a) => a.sandbox))].sort();
  return sandboxes.length === 1 ? `sandbox ${sandboxes.join('')}` : `sandboxes ${namesOf(sandboxes)}`;
}

/**
 * `sandbox prod was last applied from <commit>`; for sandboxes whose mark is this repository's
 * kept beneath another's (keptMark), `this repository last applied sandbox prod from <commit>`,
 * since another repository applied there after it: both, joined, when the group has both.
 */
function markedClause(group: OlderCheckout['audiences'], commit: string): string {
  const top = group.filter((a) => a.keptMark !== true);
  const kept = group.filter((a) => a.keptMark === true);
  const clauses: string[] = [];
  if (top.length > 0) {
    const verb = new Set(top.map((a) => a.sandbox)).size === 1 ? 'was' : 'were';
    clauses.push(`${sandboxesOf(top)} ${verb} last applied from ${commit}`);
  }
  if (kept.length > 0)
    clauses.push(`this repository last applied ${sandboxesOf(kept)} from ${top.length > 0 ? 'it' : commit}`);
  return clauses.join(', and ');
}

/**
 * One clause naming the audiences and the newest commit concerned: `prod/x and prod/z were last
 * applied from commit 5d6e7f8 (committed …), which this checkout's HEAD 1a2b3c4 (committed …)
 * does not contain`; for a create, `prod/y would be created again; sandbox prod was last applied
 * from commit …`. Audiences of other such commits are counted.
 */
export function describeOlderCheckout(
  finding: Pick<OlderCheckout, 'head' | 'audiences'>,
  headName = "this checkout's HEAD",
): string {
  const rolledBack = finding.audiences.filter((audience) => audience.why === 'rolled-back');
  if (rolledBack.length === 0) return describeNewer(finding, headName);
  const rollback = describeRolledBack(finding.head, rolledBack, headName);
  if (rolledBack.length === finding.audiences.length) return rollback;
  const newer = finding.audiences.filter((audience) => audience.why !== 'rolled-back');
  return `${describeNewer({ head: finding.head, audiences: newer }, headName)}; and ${rollback}`;
}

/** `create prod/y again`, `delete prod/x`: what a step of `kind` would do to the audiences `ids`. */
function doneTo(kind: Step['kind'], ids: readonly string[]): string {
  return RECREATING.has(kind) ? `${kind} ${namesOf(ids)} again` : `${kind} ${namesOf(ids)}`;
}

/**
 * `sandbox prod was rolled back from commit abc1234 (committed …) to def5678 at …; this
 * checkout's HEAD 1a2b3c4 (committed …, before that) contains abc1234 and would create prod/y
 * again`: the newest rollback concerned; audiences of other rollbacks are counted.
 */
function describeRolledBack(
  head: AppliedRevision,
  audiences: OlderCheckout['audiences'],
  headName: string,
): string {
  const first = audiences[0]!;
  const at = first.rolledBack?.at ?? '';
  const same = audiences.filter(
    (a) => a.sandbox === first.sandbox && a.revision.commit === first.revision.commit,
  );
  const byKind = new Map<Step['kind'], string[]>();
  for (const audience of same)
    byKind.set(audience.kind, [
      ...(byKind.get(audience.kind) ?? []),
      recordId(audience.sandbox, audience.key),
    ]);
  const done = [...byKind].map(([kind, ids]) => doneTo(kind, ids));
  const rest = audiences.length - same.length;
  const more = rest === 0 ? '' : `; and ${rest} more audience(s) of other rollbacks`;
  const from = short(first.revision.commit);
  return (
    `sandbox ${first.sandbox} was rolled back from commit ${from} (committed ${first.revision.committedAt}) ` +
    `to ${short(first.rolledBack?.to ?? '')} at ${at}; ${headName} ${short(head.commit)} ` +
    `(committed ${head.committedAt}, before that) contains ${from} and would ${namesOf(done)}${more}`
  );
}

/** describeOlderCheckout of steps refused as undoing a newer apply (none rolled back). */
function describeNewer(finding: Pick<OlderCheckout, 'head' | 'audiences'>, headName: string): string {
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
  const { revision, why, prefixed } = first;
  const head = `${headName} ${short(finding.head.commit)} (committed ${finding.head.committedAt})`;
  const which =
    why === 'not-contained'
      ? `which ${head} does not contain`
      : `which is not in this clone and was committed after ${head}`;
  // A mark of another path is named with it: no pull of this one brings its commit.
  const of = prefixed === undefined ? '' : ` of ${prefixed.repository}`;
  const commit = `commit ${short(revision.commit)}${of} (committed ${revision.committedAt}), ${which}`;
  const undone = newest.filter((a) => !recreates(a));
  const recreated = newest.filter(recreates);
  const rest = others.reduce((count, group) => count + group.length, 0);
  const more =
    others.length === 0 ? '' : `; and ${rest} more audience(s), from ${others.length} other such commit(s)`;
  if (undone.length === 0) return `${recreatedClause(recreated)}; ${markedClause(recreated, commit)}${more}`;
  const names = namesOf(undone.map((a) => recordId(a.sandbox, a.key)));
  const verb = undone.length === 1 ? 'was' : 'were';
  const also =
    recreated.length === 0 ? '' : `; and ${recreatedClause(recreated)} (${markedClause(recreated, 'it')})`;
  return `${names} ${verb} last applied from ${commit}${also}${more}`;
}
