import { AudiencectlError } from '../errors.js';
import {
  commitsToCheck,
  describeOlderCheckout,
  olderCheckout,
  recordRevision,
  type CommitRelation,
} from '../plan/older-checkout.js';
import type { OlderCheckout, Step } from '../plan/schema.js';
import type { AppliedRevision, RecordedState } from '../state/schema.js';

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
  | { kind: 'record'; head: AppliedRevision }
  /**
   * `apply`, and a controller pass of an unconfirmed revision (its sync failed): records HEAD (the
   * last revision synced), and refuses to undo what was applied from a commit it does not contain.
   */
  | {
      kind: 'guard';
      head: AppliedRevision;
      /** How messages name `head`: "this checkout's HEAD", or the commit a saved plan was made from. */
      headName: string;
      /** What git says of recorded commits against `head` (source/git-revision.ts). */
      relations: (commits: readonly string[]) => Promise<ReadonlyMap<string, CommitRelation>>;
      /**
       * What to do then: `refuse`, naming apply's `--allow-older-checkout`; `refuse-final`, naming
       * no way around (the controller's); `allow` (`--allow-older-checkout`) applies anyway, and
       * says so once.
       */
      older:
        { kind: 'refuse' | 'refuse-final'; advice: string } | { kind: 'allow'; warn: (text: string) => void };
    };

/** The commit to record with every spec applied, if any. */
export function recordedRevision(revision: ApplyRevision): AppliedRevision | undefined {
  return revision.kind === 'none' ? undefined : revision.head;
}

/**
 * Whether a record, or a sandbox's mark, carries a commit other than `head`: only then can a
 * step be refused.
 */
function mayRefuse(recorded: RecordedState, head: AppliedRevision): boolean {
  const other = (commit: string | undefined) => commit !== undefined && commit !== head.commit;
  return (
    recorded.audiences.some((record) => other(recordRevision(record)?.commit)) ||
    Object.values(recorded.meta?.revisions ?? {}).some((mark) => other(mark.commit))
  );
}

export type CheckoutCheck = {
  /** False when nothing is ever refused (outside git, a controller pass of the revision it synced). */
  active: boolean;
  /** Whether `check` could refuse anything with this state (saves planning for it). */
  concerns(recorded: RecordedState): boolean;
  /**
   * Throws OlderCheckoutError when `steps` would undo a commit HEAD does not contain, or create
   * again in a sandbox last applied from such a commit.
   */
  check(steps: readonly Step[], recorded: RecordedState): Promise<void>;
};

/**
 * The order check of one apply. git is asked once a distinct commit, whatever the number of
 * checks (before the first call, then on the final plan).
 */
export function checkoutCheck(revision: ApplyRevision): CheckoutCheck {
  if (revision.kind !== 'guard')
    return { active: false, concerns: () => false, check: () => Promise.resolve() };
  const known = new Map<string, CommitRelation>();
  let warned = false;
  return {
    active: true,
    concerns: (recorded) => mayRefuse(recorded, revision.head),
    async check(steps, recorded) {
      if (!mayRefuse(recorded, revision.head)) return;
      const { audiences: records, meta } = recorded;
      const marks = meta?.revisions;
      const asked = commitsToCheck(steps, records, revision.head, marks).filter(
        (commit) => !known.has(commit),
      );
      if (asked.length > 0)
        for (const [commit, relation] of await revision.relations(asked)) known.set(commit, relation);
      const finding = olderCheckout(steps, records, revision.head, known, marks);
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
  };
}

function refusal(finding: OlderCheckout, headName: string, advice: string, overridable: boolean): string {
  const anyway = overridable ? ', or pass --allow-older-checkout to apply anyway' : '';
  return `refusing to undo a newer apply: ${describeOlderCheckout(finding, headName)}. Nothing was applied. ${advice}${anyway}`;
}
