import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { SourceSyncError } from './errors.js';

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
): Promise<string> {
  const target = path.join(revsDir, revision);
  if (await exists(target)) return target;
  await mkdir(revsDir, { recursive: true });
  const tmp = path.join(revsDir, `${TMP_PREFIX}${revision}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const withIndex = git({ GIT_INDEX_FILE: path.join(tmp, '.index') });
    await withIndex.raw(['read-tree', revision]);
    const files = path.join(tmp, 'files');
    await withIndex.raw(['checkout-index', '--all', `--prefix=${files}${path.sep}`]);
    await mkdir(files, { recursive: true }); // an empty tree writes nothing
    await rename(files, target);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return target;
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
      `path "${subPath}" is not a directory at revision ${revision}: check the path setting`,
    );
  }
  const [real, root] = await Promise.all([realpath(dir), realpath(checkout)]);
  if (real !== root && !real.startsWith(`${root}${path.sep}`)) {
    throw new SourceSyncError(
      'SOURCE_PATH_NOT_FOUND',
      `path "${subPath}" leaves the checkout at ${revision}`,
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
