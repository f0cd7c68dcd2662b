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
