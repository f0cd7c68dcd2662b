import type { SimpleGit } from 'simple-git';
import type { ChangeList } from './types.js';

/** How many paths follow a status letter: two for renames and copies, else one. */
function sidesOf(status: string): 1 | 2 | undefined {
  if (/^[RC]\d*$/.test(status)) return 2;
  if (/^[AMDT]$/.test(status)) return 1;
  return undefined;
}

/**
 * Reads `git diff --name-status -z` output: `<status>\0<path>\0`, and for renames and
 * copies `<R|C><score>\0<old>\0<new>\0`. Returns every path named (both sides of a
 * rename), or undefined for a status this reader does not know, so that the caller
 * falls back to reading everything rather than guessing.
 */
export function parseNameStatus(output: string): string[] | undefined {
  return parseNameStatusChanges(output)?.changed;
}

/** As parseNameStatus, with the paths git itself says are gone: `D`, and a rename's old side. */
export function parseNameStatusChanges(output: string): { changed: string[]; removed: string[] } | undefined {
  const tokens = output.split('\0');
  if (tokens.at(-1) === '') tokens.pop();
  const changed: string[] = [];
  const removed: string[] = [];
  let index = 0;
  while (index < tokens.length) {
    const status = tokens[index]!;
    const sides = sidesOf(status);
    if (sides === undefined) return undefined;
    const named = tokens.slice(index + 1, index + 1 + sides);
    if (named.length !== sides || named.some((file) => file === '')) return undefined;
    changed.push(...named);
    if (status === 'D' || status.startsWith('R')) removed.push(named[0]!);
    index += 1 + sides;
  }
  return { changed, removed };
}

/** Under `subPath`, relative to it. */
function within(paths: readonly string[], subPath: string): string[] {
  if (subPath === '') return [...paths];
  const prefix = `${subPath}/`;
  return paths.filter((file) => file.startsWith(prefix)).map((file) => file.slice(prefix.length));
}

/**
 * The paths under `subPath` (relative to it) that differ between two commits, with those git
 * says were removed, or undefined when that cannot be known for certain: `from` is not an
 * ancestor of `to` (a force-push rewrote history), an object is missing (shallow or wiped
 * repository), or git failed. Renames count as a deletion and an addition.
 */
export async function diffPaths(
  git: SimpleGit,
  from: string,
  to: string,
  subPath: string,
  /** The same diff, already read (by the checkout update): not run again. */
  known?: TreeChanges,
): Promise<ChangeList | undefined> {
  try {
    // `from` is an ancestor when it is the merge base (simple-git does not fail on
    // `--is-ancestor`'s silent exit 1). An unknown object throws.
    const base = (await git.raw(['merge-base', from, to])).trim();
    if (base !== from) return undefined;
    const changes = known
      ? { changed: [...known.deleted, ...known.written], removed: known.deleted }
      : parseNameStatusChanges(
          await git.raw(['diff', '--name-status', '-z', '--no-ext-diff', from, to, '--']),
        );
    if (changes === undefined) return undefined;
    return { changed: within(changes.changed, subPath), removed: within(changes.removed, subPath) };
  } catch {
    return undefined;
  }
}

/** What a tree update must do: files to remove, files to write from the new tree. */
export type TreeChanges = { deleted: string[]; written: string[] };

/**
 * Reads `git diff --raw -z --no-renames`: `:<mode> <mode> <sha> <sha> <status>\0<path>\0`.
 * Undefined for a submodule (mode 160000, which a checkout writes as an empty directory)
 * or a status this reader does not know: the caller then checks the whole tree out.
 */
export function parseRawDiff(output: string): TreeChanges | undefined {
  const tokens = output.split('\0');
  if (tokens.at(-1) === '') tokens.pop();
  const changes: TreeChanges = { deleted: [], written: [] };
  for (let index = 0; index < tokens.length; index += 2) {
    const [srcMode, dstMode, , , status] = tokens[index]!.replace(/^:/, '').split(' ');
    const file = tokens[index + 1];
    if (!file || srcMode === '160000' || dstMode === '160000') return undefined;
    if (status === 'D') changes.deleted.push(file);
    else if (status === 'A' || status === 'M' || status === 'T') changes.written.push(file);
    else return undefined;
  }
  return changes;
}

/** The whole repository's changes between two commits, for updating a checkout in place. */
export async function treeChanges(
  git: SimpleGit,
  from: string,
  to: string,
): Promise<TreeChanges | undefined> {
  try {
    const output = await git.raw(['diff', '--raw', '-z', '--no-renames', '--no-ext-diff', from, to, '--']);
    return parseRawDiff(output);
  } catch {
    return undefined;
  }
}
