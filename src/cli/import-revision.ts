import { outsideGitWorkTree } from '../manifest/read-source-root.js';
import type { AppliedRevision } from '../state/schema.js';

/**
 * The commit `state import` (by id, or `--discover`) records with each audience it imports
 * from the manifests in `dir` (`imported.revision`): HEAD of their git work tree, as `apply`
 * records with a spec (cli/apply-revision.ts). An import takes up a manifest of that commit;
 * an older checkout lacks it and would delete the audience as a removed manifest, which the
 * order check refuses once the record carries the commit (plan/older-checkout.ts,
 * recordRevision). None outside git, as for `apply`.
 *
 * The import leaves the sandbox's mark (StateMeta.revisions) alone, on purpose:
 * - The mark stands in for records a newer apply removed: it refuses an older checkout's
 *   creates, of audiences that commit may have deleted. An import deletes nothing, so there
 *   is nothing for it to protect, and what it adds keeps its own commit in its record.
 * - An apply may set the mark to its commit, whatever was there, because its plan passed
 *   the order check (or `--allow-older-checkout` asked for it); an import is not checked, so
 *   the same write from a stale checkout would move the mark back and let an older checkout
 *   create again what a newer apply deleted.
 * - Advancing it only (when HEAD contains the mark) would refuse an older checkout's creates
 *   for a commit whose removals nobody applied, with nothing to protect.
 */
export async function importRevision(
  dir: string,
  warn: (text: string) => void,
  abort: AbortSignal,
): Promise<AppliedRevision | undefined> {
  // Outside a git work tree there is no commit to read, and simple-git is not loaded, as for
  // `apply` (apply-revision.ts).
  if (outsideGitWorkTree(dir)) return undefined;
  // simple-git is loaded only here: `state list` and `show` never need it.
  const { headRevision } = await import('../source/git-revision.js');
  const found = await headRevision(dir, abort);
  if (found.kind === 'unreadable')
    warn(
      `cannot read the git commit of ${dir} (${found.reason}): this import records none, so an apply from an older checkout is not refused its deletion`,
    );
  return found.kind === 'commit' ? found.head : undefined;
}
