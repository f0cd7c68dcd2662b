import { existsSync } from 'node:fs';
import path from 'node:path';
import { gitTop } from '../manifest/read-source-root.js';

/**
 * How `validate --output github` names a file: GitHub places an annotation on a pull request's
 * file only by its path in the repository, so a file inside a git work tree is named from the
 * top of that work tree, wherever the command runs (a workflow step's `working-directory`, an
 * absolute `$GITHUB_WORKSPACE/...`); outside one, as the other formats show it (relative to the
 * current directory). The work tree of each folder is looked up once.
 */
export function annotationPaths(cwd = process.cwd()): (file: string) => string {
  const tops = new Map<string, string | undefined>();
  const topOf = (folder: string) => {
    if (!tops.has(folder)) tops.set(folder, gitTop(folder));
    return tops.get(folder);
  };
  return (file) => {
    const absolute = path.resolve(cwd, file);
    // A folder the diagnostic names (`.`, the filters' warning) may be the top itself.
    const top = existsSync(path.join(absolute, '.git')) ? absolute : topOf(path.dirname(absolute));
    if (top === undefined) return file;
    return path.relative(top, absolute).split(path.sep).join('/') || '.';
  };
}
