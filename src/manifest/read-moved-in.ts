import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../source/git-run.js';
import { recordId } from '../state/record-id.js';
import type { DesiredManifest } from './load.js';
import { filesAt, listable, MANIFEST_NAMES, notCheckedOut } from './read-moved.js';
import { gitTop, realDirectory } from './read-source-root.js';
import { sourceFileFromBytes } from './decode.js';

// For a pull-request plan (`plan --base`) of one directory of several sharing a store: the
// manifests of this change that the base held outside that directory (`git mv teams/mkt/b.yaml
// teams/web/`). The apply of the merged commit finds their records, applied from there, and takes
// them over (a record-only change); a plan that read only the directory at the base showed a
// create and a first run instead (review 36b, M-1). Only a move: a copy (the base's file still
// holds the audience here) was applied from there, perhaps to another store, and stays with it;
// the apply of this directory creates the audience, as the plan then shows (review 36v, M-3).

/**
 * The manifests at `commit` outside `dir` (in the git work tree holding it) of the audiences
 * `sought`, read with `defaultSandbox` as the base's own were, whose files this change moved:
 * gone from their place in the work tree, or no longer holding that audience there. Only files
 * whose text holds one of the keys are read (one `git grep` at the commit, one `git cat-file
 * --batch`). None when there is no work tree or git cannot answer, and a file not known to be
 * moved (still there, broken there, or kept out of a sparse checkout) is left out: the plan then
 * shows what it showed before, a create.
 */
export async function movedInAtBase(
  dir: string,
  commit: string,
  sought: ReadonlyArray<{ sandbox: string; key: string }>,
  defaultSandbox: string,
): Promise<DesiredManifest[]> {
  const ids = new Set(sought.map((s) => recordId(s.sandbox, s.key)));
  const bare = new Set(sought.map((s) => s.key).filter(listable));
  if (bare.size === 0) return [];
  const here = realDirectory(dir);
  const top = gitTop(here);
  if (top === undefined) return [];
  const within = path.relative(top, here).split(path.sep).join('/');
  const inside = (file: string) => within === '' || file === within || file.startsWith(`${within}/`);
  const patterns = [...bare].map((key) => `${key}\n`).join('');
  // `git grep` exits 1 when nothing matches; its names are `<commit>:<path>`.
  const grep = await git(
    top,
    ['grep', '-l', '-z', '-F', '-f', '-', commit, '--', ...MANIFEST_NAMES],
    patterns,
    1,
  );
  if (!grep.ok) return [];
  const files = grep.out
    .split('\0')
    .filter((name) => name.startsWith(`${commit}:`))
    .map((name) => name.slice(commit.length + 1))
    .filter((file) => !inside(file));
  if (files.length === 0) return [];
  const blobs = await filesAt(
    top,
    files.map((file) => [commit, file] as const),
  );
  const read = files.flatMap((file, index) => {
    const bytes = blobs[index];
    return bytes === undefined ? [] : [sourceFileFromBytes(file, bytes)];
  });
  // The loader (zod, the YAML library) only when some file may hold one.
  const { loadManifests } = await import('./load.js');
  const loaded = loadManifests(read, { defaultSandbox });
  const found = loaded.manifests.filter((m) => ids.has(recordId(m.sandbox, m.key)));
  if (found.length === 0) return [];
  const stays = await stillHeld(top, [...new Set(found.map((m) => m.file))], defaultSandbox);
  return found.filter((m) => !stays.ids.has(recordId(m.sandbox, m.key)) && !stays.files.has(m.file));
}

/**
 * What of `files` (paths from `top`) the work tree does not show moved away: `ids`, the records
 * their manifests (or broken files naming one) hold there; `files`, those whose fate is not
 * known (kept out of a sparse checkout, unreadable, broken, emptied, skipped).
 */
async function stillHeld(
  top: string,
  files: readonly string[],
  defaultSandbox: string,
): Promise<{ ids: Set<string>; files: Set<string> }> {
  const stays = { ids: new Set<string>(), files: new Set<string>() };
  const sparse = await notCheckedOut(top, files);
  const read = [];
  for (const file of files) {
    if (!(sparse instanceof Set) || sparse.has(file)) {
      stays.files.add(file);
      continue;
    }
    const bytes = await readFile(path.join(top, file)).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : error,
    );
    if (bytes instanceof Error) stays.files.add(file);
    else if (bytes !== undefined) read.push(sourceFileFromBytes(file, bytes));
  }
  if (read.length === 0) return stays;
  const { loadManifests } = await import('./load.js');
  const here = loadManifests(read, { defaultSandbox });
  for (const m of [...here.manifests, ...here.held]) stays.ids.add(recordId(m.sandbox, m.key));
  // A file broken, emptied or no longer read as ours holds its audience, as the apply holds it.
  for (const file of [...here.failedFiles, ...here.emptyFiles, ...here.skippedFiles]) stays.files.add(file);
  return stays;
}
