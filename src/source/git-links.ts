import { constants } from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { isInside } from '../manifest/read-dir.js';
import { GitTreeFs, parseLsTree, readBlobs } from '../manifest/read-git.js';
import type { CheckoutLink } from './types.js';

/** Where the link at `at` leads in `tree`, as the CLI's directory reader sees it from `root`. */
function resolveLink(tree: GitTreeFs, root: string, at: string, relative: string): CheckoutLink {
  let real: string | undefined;
  try {
    real = tree.realpath(at);
  } catch {
    // Into a submodule: the checkout leaves its folder empty, so the target is not there.
    real = undefined;
  }
  if (real === undefined) return { path: relative, kind: 'missing' };
  if (!isInside(root, real)) return { path: relative, kind: 'outside' };
  const node = tree.lookup(real);
  if (node.kind === 'file') {
    return { path: relative, kind: 'file', target: path.relative(root, real).split(path.sep).join('/') };
  }
  return { path: relative, kind: node.kind === 'missing' ? 'missing' : 'folder' };
}

/**
 * Settles the links under `subPath` in `checkout`, the tree of `revision` written with
 * core.symlinks=false (each link a plain file holding its target's path), and returns them.
 * Each is resolved in the commit's tree as a checkout with links would resolve it (read-git.ts,
 * as `plan --base` reads a base), nothing outside the checkout looked at: a link to a file
 * inside the manifests directory gets that file's bytes, read as the CLI reads it through the
 * link; any other link gets its own text again (an update may have left a target's bytes
 * there), which the reader knows not to read. Never a link on disk, never a byte from outside.
 */
export async function settleLinks(
  git: SimpleGit,
  blobs: { repo: string; env: Record<string, string> },
  checkout: string,
  revision: string,
  subPath: string,
): Promise<CheckoutLink[]> {
  const listing = await git.raw(['ls-tree', '-r', '-t', '-z', '--full-tree', revision]);
  // Most trees hold no link: their listing is not parsed (50,000 entries a pass).
  if (!listing.startsWith('120000 ') && !listing.includes('\x00120000 ')) return [];
  const entries = new Map(parseLsTree(listing).map((entry) => [entry.path, entry]));
  const prefix = subPath === '' ? '' : `${subPath}/`;
  const links = [...entries.values()].filter((entry) => entry.mode === '120000');
  const under = links.filter((entry) => entry.path.startsWith(prefix));
  if (under.length === 0) return [];
  // Every link's text: one under the directory may lead through another elsewhere in the tree.
  const texts = await readBlobs(
    blobs.repo,
    links.map((entry) => entry.object),
    blobs.env,
  );
  const targets = new Map([...texts].map(([object, bytes]) => [object, bytes.toString()]));
  const top = path.resolve(checkout);
  const root = prefix === '' ? top : path.join(top, ...subPath.split('/'));
  const tree = new GitTreeFs(top, entries, targets, () => new Error('a submodule'), true);
  const settled: CheckoutLink[] = [];
  for (const entry of under) {
    const relative = entry.path.slice(prefix.length);
    const at = path.join(top, ...entry.path.split('/'));
    const link = resolveLink(tree, root, at, relative);
    await rm(at, { force: true });
    // Exclusive: a path made a link by anything else meanwhile is never written through.
    if (link.kind === 'file') {
      await copyFile(path.join(root, ...link.target.split('/')), at, constants.COPYFILE_EXCL);
    } else {
      await writeFile(at, texts.get(entry.object) ?? '', { flag: 'wx' });
    }
    settled.push(link);
  }
  return settled;
}
