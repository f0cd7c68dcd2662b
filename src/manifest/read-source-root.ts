import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** The git work tree's top holding `dir` (a `.git` file or folder in it), if any. */
export function gitTop(dir: string): string | undefined {
  for (let at = dir; ;) {
    if (existsSync(path.join(at, '.git'))) return at;
    const up = path.dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/**
 * No `.git` above `dir`, as given or as resolved (git finds it from the real path): no commit
 * or remote to ask git for, and no git process started to learn so.
 */
export function outsideGitWorkTree(dir: string): boolean {
  return gitTop(path.resolve(dir)) === undefined && gitTop(realDirectory(dir)) === undefined;
}

/** `dir`'s real path; resolved only, when it has none (it does not exist). */
export function realDirectory(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * The directory a plan read its manifests from, as a record keeps it (`sourceRoot`): its path
 * from the top of the git work tree holding it, `/`-separated (`.` for the top), the same in
 * every clone (a developer's, a CI runner's); outside a git work tree, its absolute path.
 * `top`: the checkout the controller read (its `--path` is below it), which has no `.git` and
 * changes with every revision: the path is from it.
 */
export function sourceRootOf(dir: string, top?: string): string {
  const real = realDirectory(dir);
  const from = top === undefined ? gitTop(real) : realDirectory(top);
  // Outside one, the directory as given: a release directory swapped under a link
  // (`current -> rel2`) is still the directory the records were applied from.
  if (from === undefined) return path.resolve(dir);
  return path.relative(from, real).split(path.sep).join('/') || '.';
}
