import { AudiencectlError } from '../errors.js';
import {
  commitsToCheck,
  describeOlderCheckout,
  keptBeneath,
  markAfter,
  markCommitsToCheck,
  marksOfRepository,
  marksToMove,
  olderCheckout,
  prefixedAdvice,
  prefixedMark,
  onlyRolledBack,
  ownRecordTimes,
  recordRevision,
  ROLLED_BACK_ADVICE,
  type CommitRelation,
} from '../plan/older-checkout.js';
import { rollbacksOf } from '../plan/rolled-back.js';
import { describeUnanswered, HISTORY_CLONE, UnansweredHistoryError } from '../plan/unanswered-history.js';
import { withOthers, type SandboxRevisions } from '../state/sandbox-revisions.js';
import type { OlderCheckout, Step } from '../plan/schema.js';
import type { AppliedRevision, RecordedState, SandboxMark } from '../state/schema.js';

/** An apply of a checkout older than what was applied (README, "How it stays safe"). */
export class OlderCheckoutError extends AudiencectlError {
  override readonly name = 'OlderCheckoutError';
}

/** The git commit an apply's manifests are at, and what the apply does with it. */
export type ApplyRevision =
  /** Outside a git work tree, or the embedded emulator (new at every start): nothing recorded or checked. */
  | { kind: 'none' }
  /**
   * A controller pass of the revision its sync has just fetched: records that commit and is
   * never refused; its branch says what to apply (a rollback pushed is its owner's intent).
   */
  | {
      kind: 'record';
      head: AppliedRevision;
      /**
       * What git says of recorded commits against `head`, when the controller can ask: whether
       * a mark it moves was newer (a rollback, remembered). Without, commit times tell.
       */
      relations?: Relations;
    }
  /**
   * `apply`, and a controller pass of an unconfirmed revision (its sync failed): records HEAD (the
   * last revision synced), and refuses to undo what was applied from a commit it does not contain.
   */
  | {
      kind: 'guard';
      head: AppliedRevision;
      /** How messages name `head`: "this checkout's HEAD", or the commit a saved plan was made from. */
      headName: string;
      /**
       * What git says of recorded commits against `head` (source/git-revision.ts); in a
       * shallow clone, it may throw UnansweredHistoryError (the check refuses, never guesses).
       */
      relations: Relations;
      /**
       * What to do then: `refuse`, naming apply's `--allow-older-checkout`; `refuse-final`, naming
       * no way around (the controller's); `allow` (`--allow-older-checkout`) applies anyway, and
       * says so once.
       */
      older:
        { kind: 'refuse' | 'refuse-final'; advice: string } | { kind: 'allow'; warn: (text: string) => void };
    };

/**
 * What git says of recorded `commits` against the head, given their recorded committer times
 * (`times`: how far back a shallow clone is deepened to place them).
 */
type Relations = (
  commits: readonly string[],
  times?: ReadonlyMap<string, string>,
) => Promise<ReadonlyMap<string, CommitRelation>>;

/** The commit to record with every spec applied, if any. */
export function recordedRevision(revision: ApplyRevision): AppliedRevision | undefined {
  return revision.kind === 'none' ? undefined : revision.head;
}

/**
 * Whether a record, or a sandbox's mark, carries a commit other than `head`, or a mark
 * remembers a rollback: only then can a step be refused.
 */
function mayRefuse(recorded: RecordedState, head: AppliedRevision, marks: SandboxRevisions): boolean {
  const other = (commit: string | undefined) => commit !== undefined && commit !== head.commit;
  return (
    recorded.audiences.some((record) => other(recordRevision(record)?.commit)) ||
    Object.values(marks).some((mark) => other(mark.commit) || rollbacksOf(mark).length > 0)
  );
}

export type CheckoutCheck = {
  /** False when nothing is ever refused (outside git, a controller pass of the revision it synced). */
  active: boolean;
  /** The commit the apply records (recordedRevision); undefined outside git. */
  head: AppliedRevision | undefined;
  /** Whether `check` could refuse anything with this state (saves planning for it). */
  concerns(recorded: RecordedState): boolean;
  /**
   * Throws OlderCheckoutError when `steps` would undo a commit HEAD does not contain, or create
   * again in a sandbox last applied from such a commit.
   */
  check(steps: readonly Step[], recorded: RecordedState): Promise<void>;
  /**
   * Which of `sandboxes` (marked `marks`) an apply that wrote nothing there marks with `head`:
   * every one marked otherwise for a controller pass of its synced revision and with
   * --allow-older-checkout (their commit is the one applied now); else only those whose mark is
   * not newer than HEAD (git asked about a mark other than HEAD, once a commit). None outside git.
   */
  marksToMove(sandboxes: readonly string[], marks: SandboxRevisions): Promise<string[]>;
  /**
   * The mark each of `sandboxes` (marked `marks`) gets from this apply's writes, or its
   * markPlanned (plan/older-checkout.ts, markAfter): HEAD, with the rollbacks that still matter
   * and, with --allow-older-checkout or for a controller pass of its synced revision, a rollback
   * of a newer mark applied `at`. None outside git.
   */
  marksAfter(sandboxes: readonly string[], marks: SandboxRevisions, at: string): Promise<SandboxRevisions>;
};

/**
 * The mark of an apply of `head` from `repository` (when known), with its root commits (when
 * known), or saying that its history is shallow (`shallow`: why none are known, SandboxMark.shallow).
 */
export function plainMark(
  head: AppliedRevision,
  repository: string | undefined,
  roots: readonly string[] | undefined,
  shallow = false,
): SandboxMark {
  if (repository === undefined) return head;
  if (roots !== undefined && roots.length > 0) return { ...head, repository, roots: [...roots] };
  return shallow ? { ...head, repository, shallow: true } : { ...head, repository };
}

/**
 * `markAfter` of each of `sandboxes`, their marks being `marks` (of this repository), with the
 * other repositories' marks it keeps beside it (`all`, the store's: withOthers), so that a
 * PostgreSQL write, which reads no mark, stores them too.
 */
function marksAfterOf(
  sandboxes: readonly string[],
  marks: SandboxRevisions,
  all: SandboxRevisions | undefined,
  next: SandboxMark,
  relations: ReadonlyMap<string, CommitRelation>,
  how: { override: boolean; at: string },
): SandboxRevisions {
  let after: SandboxRevisions = {};
  for (const sandbox of new Set(sandboxes)) {
    const current = Object.hasOwn(marks, sandbox) ? marks[sandbox] : undefined;
    const top = all !== undefined && Object.hasOwn(all, sandbox) ? all[sandbox] : undefined;
    const mark = withOthers(top, markAfter(current, next, relations, how));
    // A computed key is an own property, `__proto__` too.
    after = { ...after, [sandbox]: mark };
  }
  return after;
}

/** The sandboxes of `sandboxes` marked with another commit than `head`, or not marked. */
function markedOtherwise(
  sandboxes: readonly string[],
  marks: SandboxRevisions,
  head: AppliedRevision,
): string[] {
  return [...new Set(sandboxes)]
    .sort()
    .filter((sandbox) => !Object.hasOwn(marks, sandbox) || marks[sandbox]?.commit !== head.commit);
}

/**
 * The order check of one apply of the manifests of `repository` (when known: the marks of
 * another repository sharing the store are not its own, marksOfRepository), whose history's root
 * commits are `roots` (when known: a repository whose path differs by a prefix is another when
 * its mark's roots share none, sameMarkRepository). git is asked once a
 * distinct commit, whatever the number of checks (before the first call, then on the final plan,
 * then of the marks to move).
 */
export function checkoutCheck(
  revision: ApplyRevision,
  repository?: string,
  roots?: readonly string[],
  /** The history applied from is shallow: its marks say so (SandboxMark.shallow). */
  shallow = false,
): CheckoutCheck {
  if (revision.kind === 'none')
    return {
      active: false,
      head: undefined,
      concerns: () => false,
      check: () => Promise.resolve(),
      marksToMove: () => Promise.resolve([]),
      marksAfter: () => Promise.resolve({}),
    };
  const known = new Map<string, CommitRelation>();
  // The commits a shallow clone lacks that git could not place (UnansweredHistoryError), and why.
  const unanswered = new Map<string, string>();
  const relations = revision.relations;
  // The commits asked with their times (a shallow clone deepened for them): one asked first
  // for a mark, with none, is asked again once a step would undo its own record.
  const timed = new Set<string>();
  const ask = async (commits: readonly string[], times?: ReadonlyMap<string, string>) => {
    const again = (commit: string) =>
      known.get(commit) === 'unknown' && times?.has(commit) === true && !timed.has(commit);
    const asked = commits.filter((commit) => !known.has(commit) || again(commit));
    for (const commit of asked) if (times?.has(commit) === true) timed.add(commit);
    if (asked.length === 0 || !relations) return;
    let answer: ReadonlyMap<string, CommitRelation>;
    try {
      answer = await relations(asked, times);
    } catch (error) {
      if (!(error instanceof UnansweredHistoryError)) throw error;
      // Left `unknown` (its time decides) where nothing is refused for it: marks moved after
      // the writes, or --allow-older-checkout; `check` refuses the steps it concerns.
      answer = error.relations;
      for (const commit of error.commits) unanswered.set(commit, error.why);
    }
    for (const [commit, relation] of answer) known.set(commit, relation);
  };
  if (revision.kind === 'record') {
    const { head } = revision;
    return {
      active: false,
      head,
      concerns: () => false,
      check: () => Promise.resolve(),
      marksToMove: (sandboxes, marks) =>
        Promise.resolve(markedOtherwise(sandboxes, marksOfRepository(marks, repository, roots), head)),
      // The branch says what to apply: a mark newer than it (git asked when it can be, else by
      // the commit times) was rolled back from.
      async marksAfter(sandboxes, all, at) {
        const marks = marksOfRepository(all, repository, roots);
        await ask(markCommitsToCheck(sandboxes, marks, head));
        return marksAfterOf(sandboxes, marks, all, plainMark(head, repository, roots, shallow), known, {
          override: true,
          at,
        });
      },
    };
  }
  let warned = false;
  return {
    active: true,
    head: revision.head,
    concerns: (recorded) =>
      mayRefuse(recorded, revision.head, marksOfRepository(recorded.meta?.revisions, repository, roots)),
    async check(steps, recorded) {
      const marks = marksOfRepository(recorded.meta?.revisions, repository, roots);
      if (!mayRefuse(recorded, revision.head, marks)) return;
      const { audiences: records } = recorded;
      await ask(
        commitsToCheck(steps, records, revision.head, marks),
        ownRecordTimes(steps, records, repository),
      );
      const kept = keptBeneath(recorded.meta?.revisions, repository, roots);
      if (revision.older.kind !== 'allow' && unanswered.size > 0) {
        // Placed as not contained, the steps they would refuse are those git left unanswered.
        const placed = new Map(known);
        for (const commit of unanswered.keys()) placed.set(commit, 'absent');
        const unplaced = olderCheckout(steps, records, revision.head, placed, marks, kept, repository);
        const refused = (unplaced?.audiences ?? []).filter((audience) =>
          unanswered.has(audience.revision.commit),
        );
        if (refused.length > 0)
          throw new OlderCheckoutError(
            'APPLY_SHALLOW_UNANSWERED',
            unansweredRefusal(refused, unanswered, revision.head, revision.headName, revision.older.kind),
          );
      }
      const finding = olderCheckout(steps, records, revision.head, known, marks, kept, repository);
      if (finding === undefined) return;
      if (revision.older.kind !== 'allow')
        throw new OlderCheckoutError(
          'APPLY_OLDER_CHECKOUT',
          refusal(finding, revision.headName, revision.older.advice, revision.older.kind === 'refuse'),
        );
      if (warned) return;
      warned = true;
      revision.older.warn(
        `--allow-older-checkout: ${describeOlderCheckout(finding, revision.headName)}; applying it anyway, as asked`,
      );
    },
    async marksToMove(sandboxes, all) {
      // Judged by this repository's own mark (kept beside another's on top), or as unmarked
      // when it has none there (a write moves it too).
      const marks = marksOfRepository(all, repository, roots);
      const { head } = revision;
      if (revision.older.kind === 'allow') return markedOtherwise(sandboxes, marks, head);
      await ask(markCommitsToCheck(sandboxes, marks, head));
      return marksToMove(sandboxes, marks, head, known);
    },
    async marksAfter(sandboxes, all, at) {
      const marks = marksOfRepository(all, repository, roots);
      const { head } = revision;
      await ask(markCommitsToCheck(sandboxes, marks, head));
      const override = revision.older.kind === 'allow';
      return marksAfterOf(sandboxes, marks, all, plainMark(head, repository, roots, shallow), known, {
        override,
        at,
      });
    },
  };
}

function refusal(finding: OlderCheckout, headName: string, advice: string, overridable: boolean): string {
  const anyway = overridable ? ', or pass --allow-older-checkout to apply anyway' : '';
  if (onlyRolledBack(finding)) {
    // `apply`'s advice (pull or fetch the newer commit) would keep the commit rolled back from.
    const then = overridable ? `${ROLLED_BACK_ADVICE}, then apply from it` : advice;
    return `refusing to undo a rollback: ${describeOlderCheckout(finding, headName)}. Nothing was applied. ${then}${anyway}`;
  }
  const prefixed = prefixedMark(finding);
  const then =
    prefixed === undefined || !overridable
      ? `${advice}${anyway}`
      : prefixedAdvice(prefixed, lowerFirst(advice), 'pass --allow-older-checkout to apply anyway');
  return `refusing to undo a newer apply: ${describeOlderCheckout(finding, headName)}. Nothing was applied. ${then}`;
}

/**
 * The refusal of the steps `refused` whose commit a shallow clone lacks and git could not place
 * (`unanswered`: why): one line naming the first such commit, its audiences, and the way out.
 */
function unansweredRefusal(
  refused: OlderCheckout['audiences'],
  unanswered: ReadonlyMap<string, string>,
  head: AppliedRevision,
  headName: string,
  older: 'refuse' | 'refuse-final',
): string {
  const anyway = older === 'refuse' ? ', or pass --allow-older-checkout to apply anyway' : '';
  return `${describeUnanswered(refused, unanswered, head, headName)}. Nothing was applied. Apply from ${HISTORY_CLONE}${anyway}`;
}

/** `pull or fetch …` of `Pull or fetch …`: an advice as a clause. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
