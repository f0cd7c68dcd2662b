import path from 'node:path';

// What a record's `sourceRoot` (read-source-root.ts) means, without reading anything: the planner
// compares and re-roots it.

/**
 * The directory a recorded `root` names, seen from a plan whose git work tree's top is `top`:
 * undefined for a path from a git top when the plan is in none.
 */
export function rootDirectory(root: string, top: string | undefined): string | undefined {
  if (path.isAbsolute(root)) return root;
  return top === undefined ? undefined : path.resolve(top, root);
}

/**
 * The root of the directory `under` (`/`-separated) is below: `audiences` for `audiences/loyalty`
 * and `loyalty`, `.` for `loyalty` and `loyalty`; undefined when `root` does not end with it.
 */
export function rootAbove(root: string, under: string): string | undefined {
  if (root === under) return path.isAbsolute(root) ? undefined : '.';
  return root.endsWith(`/${under}`) ? root.slice(0, -under.length - 1) || '/' : undefined;
}

/** The root a plan's steps' files are relative to: `root`'s, or the one `appliedBelow` is below. */
export function stepsRoot(root: string | undefined, appliedBelow: string | undefined): string | undefined {
  return root === undefined || appliedBelow === undefined ? root : rootAbove(root, appliedBelow);
}

/**
 * Whether two repositories as records keep them (src/source/work-tree-repository.ts) are one: the
 * same path, or one path the end of the other after a `/` (a mirror or proxy that serves it
 * under a prefix, Bitbucket's `scm/`, Azure DevOps' `v3/`), as a CI job may clone from one and
 * a person from the other.
 */
export function sameRepository(a: string, b: string): boolean {
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

/**
 * Whether a record of a manifest read, recorded from repository `recorded`, is re-recorded with
 * the one planned (`planned`): whenever the plan knows its own and the record names none, or
 * another (sameRepository). A repository renamed (or a store moved from one to another) is then
 * recorded anew for every audience whose manifest it holds.
 */
export function rerecordsRepository(recorded: string | undefined, planned: string | undefined): boolean {
  return planned !== undefined && (recorded === undefined || !sameRepository(recorded, planned));
}

/**
 * Whether a record whose file the plan read, recorded with `recorded`, is re-recorded with the
 * directory planned (`planned`). A path from a git work tree's top is the same in every clone; an
 * absolute one (outside git) names one machine's directory, often a new one for every CI job or
 * container: it is recorded where the record has none, but never replaces another (each job
 * would re-record every audience, and a path a plan in a clone can look into would give way to
 * one nobody can once that directory is gone).
 */
export function rerooted(recorded: string | undefined, planned: string | undefined): boolean {
  if (planned === undefined || recorded === planned) return false;
  return recorded === undefined || !path.isAbsolute(planned);
}
