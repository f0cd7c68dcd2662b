import { OlderCheckoutError, type ApplyRevision } from '../apply/checkout-guard.js';
import type { ApplyInput } from '../apply/apply-flow.js';
import type { AppliedRevision } from '../state/schema.js';
import { originOf } from '../apply/saved-plan.js';
import { outsideGitWorkTree } from '../manifest/read-source-root.js';
import { workTreeRepository } from '../source/work-tree-repository.js';
import { shellQuote } from '../text/shell-quote.js';
import { gitSilenceMs } from './git-timeout.js';

type RevisionFlags = { emulator?: boolean; allowOlderCheckout?: boolean };

/**
 * The ApplyRevision of an apply, and `end`, called once the apply is done with its checks: it
 * removes the history a shallow clone's deepening fetched (git-revision.ts endDeepening).
 */
export type CheckedRevision = { revision: ApplyRevision; end: () => Promise<void> };

const UNCHECKED = (revision: ApplyRevision): CheckedRevision => ({ revision, end: () => Promise.resolve() });

/**
 * The commit `apply` records and checks (README, "How it stays safe"): HEAD of the git work
 * tree of the manifests, or the commit a saved plan was made from. None with the embedded
 * emulator (new at every start, so there is no newer apply to undo) or outside git.
 */
export async function applyRevision(
  input: ApplyInput,
  target: string,
  flags: RevisionFlags,
  say: (text: string) => void,
): Promise<CheckedRevision> {
  if (flags.emulator) return UNCHECKED({ kind: 'none' });
  let dir = target;
  let headName = "this checkout's HEAD";
  let advice = 'Pull or fetch the newer commit and apply from it';
  let head: AppliedRevision;
  // Whether the marks and records compared are of a known hosted repository (git-revision.ts).
  let ofRepository: () => Promise<boolean> = async () => (await workTreeRepository(dir)) !== undefined;
  if (input.kind === 'saved') {
    const origin = originOf(input.plan, input.source);
    // A plan made outside git (or by a release before this check) says no commit.
    if (origin.revision === undefined) return UNCHECKED({ kind: 'none' });
    head = origin.revision;
    dir = origin.dir;
    const planned = input.plan.origin?.options?.repository !== undefined;
    ofRepository = () => Promise.resolve(planned);
    headName = `${input.source}'s commit`;
    advice = 'Plan again from a checkout of the newer commit';
  } else {
    // Outside a git work tree there is no commit to read, and simple-git is not loaded.
    if (outsideGitWorkTree(target)) return UNCHECKED({ kind: 'none' });
    // simple-git loads when an apply reads its commit, not with the command (`apply --help`).
    const { headRevision } = await import('../source/git-revision.js');
    const found = await headRevision(target);
    if (found.kind === 'unreadable') {
      // A git work tree whose commit git will not tell: the check cannot run, so nothing it
      // guards (a create of what a newer commit deleted, a PATCH back) may pass unchecked.
      if (!flags.allowOlderCheckout) {
        // git names the repository it distrusts: "detected dubious ownership in repository at '…'".
        const distrusted = /repository at '([^']+)'/.exec(found.reason)?.[1];
        let fix = 'a .git it can use';
        if (distrusted) fix = `git config --global --add safe.directory ${shellQuote(distrusted)}`;
        else if (/ENOENT/.test(found.reason)) fix = 'install git';
        throw new OlderCheckoutError(
          'APPLY_CHECKOUT_UNREADABLE',
          `cannot read the git commit of ${target} (${found.reason}), so this apply cannot be checked against newer applies. Nothing was applied. Let git read the checkout (${fix}), or pass --allow-older-checkout to apply unchecked`,
        );
      }
      say(
        `Warning: cannot read the git commit of ${target} (${found.reason}): this apply records none, and is not checked against newer applies (--allow-older-checkout)`,
      );
    }
    if (found.kind !== 'commit') return UNCHECKED({ kind: 'none' });
    head = found.head;
  }
  // One deepening of a shallow clone per apply, whatever the number of checks (git-revision.ts).
  const deepening = { headCommittedAt: head.committedAt, silenceMs: () => gitSilenceMs() };
  return {
    revision: {
      kind: 'guard',
      head,
      headName,
      relations: async (commits, times) => {
        const { commitRelations } = await import('../source/git-revision.js');
        const deepen = times === undefined ? undefined : { deepening, times };
        return commitRelations(dir, head.commit, commits, await ofRepository(), deepen);
      },
      older: flags.allowOlderCheckout
        ? { kind: 'allow', warn: (text) => say(`Warning: ${text}`) }
        : { kind: 'refuse', advice },
    },
    end: async () => {
      const { endDeepening } = await import('../source/git-revision.js');
      await endDeepening(deepening);
    },
  };
}
