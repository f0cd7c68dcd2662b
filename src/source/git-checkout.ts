import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { SourceSyncError } from './errors.js';
import type { TreeChanges } from './git-diff.js';
import { quoted } from '../text/safe-text.js';

const TMP_PREFIX = '.tmp-';

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the tree of `revision` into `<revsDir>/<revision>` and returns that
 * directory. Files go to a temporary directory through a throw-away index
 * (read-tree + checkout-index, no .git inside), which is renamed into place only
 * when complete: a reader sees a whole revision or none, and a crash leaves a
 * `.tmp-*` directory that `pruneRevisions` removes.
 */
export async function materializeRevision(
  git: (env: Record<string, string>) => SimpleGit,
  revsDir: string,
  revision: string,
  options: {
    /**
     * Write the tree again even when its directory exists, and put it in the old one's place:
     * what is on disk is not trusted (the resync safety net). Default false.
     */
    fresh?: boolean;
  } = {},
): Promise<string> {
  const target = path.join(revsDir, revision);
  const there = await exists(target);
  if (there && !options.fresh) return target;
  await mkdir(revsDir, { recursive: true });
  const tmp = path.join(revsDir, `${TMP_PREFIX}${revision}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const withIndex = git({ GIT_INDEX_FILE: path.join(tmp, '.index') });
    await withIndex.raw(['read-tree', revision]);
    const files = path.join(tmp, 'files');
    await withIndex.raw(['checkout-index', '--all', `--prefix=${files}${path.sep}`]);
    await mkdir(files, { recursive: true }); // an empty tree writes nothing
    // The old tree goes with the temporary directory.
    if (there) await rename(target, path.join(tmp, 'old'));
    await rename(files, target);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return target;
}

/**
 * Writes the tree of `revision` again when its directory is gone (an update in place moved it
 * into another revision's, and the sync then failed); true when it was written.
 */
export async function restoreRevision(
  git: (env: Record<string, string>) => SimpleGit,
  revsDir: string,
  revision: string,
): Promise<boolean> {
  if (await exists(path.join(revsDir, revision))) return false;
  await materializeRevision(git, revsDir, revision);
  return true;
}

/** More paths than this: a whole checkout is as quick, and argv stays short. */
const MAX_UPDATED_PATHS = 2_000;

/** Removes `file` and then its parent directories that it leaves empty (git keeps no empty directory). */
async function removeWithEmptyParents(root: string, file: string): Promise<void> {
  await rm(path.join(root, file), { recursive: true, force: true });
  for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) {
    const removed = await rmdir(path.join(root, dir)).then(
      () => true,
      () => false,
    );
    if (!removed) return;
  }
}

/**
 * Turns the checkout of `from` into that of `revision` by applying `changes` (the
 * whole repository's diff between them), and returns its directory; undefined when it
 * cannot (no checkout of `from`, too many paths, a failure), and the caller checks the
 * whole tree out. Costs the changed files only, where a checkout writes every file.
 * The tree of `from` moves: it is gone once this returns, as readers of a revision
 * only hold it until the next sync. Atomic like `materializeRevision`: the work
 * happens under a `.tmp-*` name that is renamed into place when complete.
 */
export async function updateRevision(
  git: (env: Record<string, string>) => SimpleGit,
  revsDir: string,
  from: string,
  revision: string,
  changes: TreeChanges,
): Promise<string | undefined> {
  const target = path.join(revsDir, revision);
  if (await exists(target)) return target;
  const source = path.join(revsDir, from);
  if (changes.deleted.length + changes.written.length > MAX_UPDATED_PATHS || !(await exists(source))) {
    return undefined;
  }
  const tmp = path.join(revsDir, `${TMP_PREFIX}${revision}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const files = path.join(tmp, 'files');
    await rename(source, files);
    for (const file of [...changes.deleted, ...changes.written]) await removeWithEmptyParents(files, file);
    if (changes.written.length > 0) {
      const withIndex = git({ GIT_INDEX_FILE: path.join(tmp, '.index') });
      await withIndex.raw(['read-tree', revision]);
      await withIndex.raw(['checkout-index', `--prefix=${files}${path.sep}`, '--', ...changes.written]);
    }
    await mkdir(files, { recursive: true });
    await rename(files, target);
    return target;
  } catch {
    return undefined;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The manifests directory inside a checkout; it must exist and stay inside it. */
export async function resolveSubPath(checkout: string, subPath: string, revision: string): Promise<string> {
  const dir = path.join(checkout, subPath);
  let info;
  try {
    info = await stat(dir);
  } catch {
    info = undefined;
  }
  if (!info?.isDirectory()) {
    throw new SourceSyncError(
      'SOURCE_PATH_NOT_FOUND',
      `path ${quoted(subPath)} is not a directory at revision ${revision}: check the path setting`,
    );
  }
  const [real, root] = await Promise.all([realpath(dir), realpath(checkout)]);
  if (real !== root && !real.startsWith(`${root}${path.sep}`)) {
    throw new SourceSyncError(
      'SOURCE_PATH_NOT_FOUND',
      `path ${quoted(subPath)} leaves the checkout at ${revision}`,
    );
  }
  return dir;
}

/** Removes checkouts other than `keep` and leftovers of interrupted ones. */
export async function pruneRevisions(revsDir: string, keep: readonly string[]): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(revsDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (keep.includes(entry)) continue;
    await rm(path.join(revsDir, entry), { recursive: true, force: true });
  }
}
