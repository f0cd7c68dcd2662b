import { sameRepository } from '../manifest/source-root.js';
import type { SandboxRevisions } from '../state/sandbox-revisions.js';

/**
 * The repositories whose records a plan of `repository` (the root commits of its clone: `roots`)
 * leaves alone as another repository's although their paths differ from it only by a prefix
 * (GitLab subgroups: `marketing/emea/audiences` and `emea/audiences`; a mirror's prefix is the
 * same repository, sameRepository): those whose sandbox marks, on top or kept beside, record
 * root commits, none of which are `roots`. Two histories are two repositories, which no mirror
 * makes, as sandbox-revisions.ts sameMarkRepository tells the marks themselves. The same path
 * is one repository whatever its roots, so every mark of that exact path speaks for its records:
 * one sharing a root makes it this repository (a mirror's clone: a removal is a removal once git
 * shows it), and marks without roots (a shallow clone's, a `--git-depth` controller's, an earlier
 * release's) say nothing either way. None without `roots`: the paths then decide, and such a
 * record's removal is held (plan/elsewhere.ts, `prefixed-repository`). Either way nothing of it
 * is deleted here; this only tells which of the two it is.
 */
export function otherHistories(
  marks: SandboxRevisions | undefined,
  repository: string | undefined,
  roots: readonly string[] | undefined,
): ReadonlySet<string> {
  const other = new Set<string>();
  if (marks === undefined || repository === undefined || roots === undefined || roots.length === 0)
    return other;
  const same = new Set<string>();
  for (const top of Object.values(marks)) {
    for (const mark of [top, ...(top.otherRepositories ?? [])]) {
      const { repository: marked, roots: theirs = [] } = mark;
      if (marked === undefined || marked === repository || !sameRepository(marked, repository)) continue;
      if (theirs.length === 0) continue;
      if (theirs.some((root) => roots.includes(root))) same.add(marked);
      else other.add(marked);
    }
  }
  for (const marked of same) other.delete(marked);
  return other;
}
