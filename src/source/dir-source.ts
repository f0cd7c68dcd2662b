import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { kindOf } from '../files/read-regular.js';
import { contentDigest } from './content-digest.js';
import { SourceSyncError } from './errors.js';
import { assertDirectoryThere } from './directory-gone.js';
import { isIgnoredPath } from './dir-watch.js';
import { ChangeHistory } from './change-history.js';
import type { Source, SourceRevision, SyncOptions } from './types.js';

/** A scan's view of the tree: relative path -> digest of its content. */
type Digests = Map<string, string>;

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

/**
 * Every file under `root` (relative, `/`-separated), the FIFOs, sockets and devices apart, and
 * whether a symlink or a folder that cannot be listed was met (the tree is then not all seen:
 * hints are not trusted, and the controller reads everything, which names such a folder and holds
 * every deletion).
 */
async function listFiles(
  root: string,
  under = '',
): Promise<{ files: string[]; special: string[]; incomplete: boolean }> {
  const files: string[] = [];
  const special: string[] = [];
  let incomplete = false;
  const pending = [under];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = await readdir(path.join(root, folder), { withFileTypes: true });
    } catch (error) {
      // The folder asked for is the caller's to report; one below it, a doubt.
      if (folder === under) throw error;
      incomplete = true;
      continue;
    }
    for (const entry of entries) {
      const relative = toPosix(path.join(folder, entry.name));
      if (isIgnoredPath(relative)) continue;
      if (entry.isSymbolicLink()) incomplete = true;
      if (entry.isDirectory()) pending.push(relative);
      else if (entry.isFile()) files.push(relative);
      else if (!entry.isSymbolicLink()) special.push(relative);
    }
  }
  return { files, special, incomplete };
}

/**
 * What a FIFO, a socket or a device is in a revision: never opened (a FIFO's read waits for a
 * writer). In no revision, one named like a manifest came with no change: the incremental read
 * never looked at it, and deleted what a full read, which refuses it (source/not-a-file), holds
 * (review 40, F-3).
 */
function specialDigest(info: Stats): string {
  return `not-a-file:${kindOf(info)}`;
}

/** What is at `relative` (its lstat `info`) in a revision: undefined for nothing there, or a folder. */
async function digestAt(
  root: string,
  relative: string,
  info: Stats | undefined,
): Promise<string | undefined> {
  if (info === undefined || info.isDirectory()) return undefined;
  if (info.isFile()) return digestFile(root, relative);
  return specialDigest(info);
}

/** A file deleted between listing and reading is part of the next burst: undefined. */
async function digestFile(root: string, relative: string): Promise<string | undefined> {
  const content = await readFile(path.join(root, relative)).catch(() => undefined);
  return content === undefined ? undefined : contentDigest(content);
}

/**
 * A local directory as a source, for development (`--dir`). The revision is a hash
 * of every file's path and content, so an unchanged tree is reported as unchanged
 * and a reconcile can be skipped. The directory is read in place, not copied, so
 * diagnostics name the user's own files; pair it with `watchDirectory`, whose
 * debounce lets an editor finish writing before the next sync.
 *
 * The paths the watcher reports (`noteChanged`) let a sync look at those files only,
 * and `changedPaths` tells the controller which files to read again. Every file is
 * looked at again on a full sync, after a watcher error (`invalidate`, even one reported
 * while a sync was scanning), and while the tree holds a symlink (the watcher names a link's
 * target by another path). A sync takes the hints when it starts: paths reported while it
 * scans are looked at by the next one, so half of a rename is never the last word.
 */
export class DirectorySource implements Source {
  readonly #dir: string;
  #last: string | undefined;
  #digests: Digests | undefined;
  /** Paths reported since the last sync took its hints (a sync scanning meanwhile does not see them). */
  #hints = new Set<string>();
  /** Hints can be trusted: no watcher error and no symlink since the last full scan. */
  #trusted = false;
  /** Counts invalidate(): one during a sync leaves the source untrusted after it. */
  #invalidations = 0;
  readonly #history = new ChangeHistory();

  constructor(dir: string) {
    this.#dir = path.resolve(dir);
  }

  /** Paths (relative to the directory) a watcher saw change; the next quick sync looks only at them. */
  noteChanged(paths: readonly string[]): void {
    for (const file of paths) this.#hints.add(toPosix(file));
  }

  /** The watcher failed or may have missed events: the next sync rescans, and no change list spans it. */
  invalidate(): void {
    this.#trusted = false;
    this.#invalidations += 1;
    this.#hints.clear();
  }

  async sync(signal?: AbortSignal, options: SyncOptions = {}): Promise<SourceRevision> {
    await assertDirectoryThere(this.#dir);
    // The hints this sync answers for, taken now: a path reported while it scans (the other half
    // of a rename, a file written again after it was read) is the next sync's, never dropped.
    const hints = this.#hints;
    this.#hints = new Set();
    const invalidations = this.#invalidations;
    let scan;
    try {
      // Without hints (a plain sync, a poll) every file is looked at: a sync must see any change.
      const quick = !options.full && this.#trusted && this.#digests !== undefined && hints.size > 0;
      scan =
        (quick ? await this.#scanHints(this.#digests!, hints, signal) : undefined) ??
        (await this.#scanAll(signal));
    } catch (error) {
      // Not looked at: the next sync's (unless the watcher failed since, which rescans anyway).
      if (this.#invalidations === invalidations) for (const hint of hints) this.#hints.add(hint);
      // Gone while it was listed: the sync's one line naming it, not the listing's ENOENT.
      await assertDirectoryThere(this.#dir);
      throw error;
    }
    // A watcher error while it scanned: events after the listing may be lost; stay untrusted.
    const trusted = this.#trusted && this.#invalidations === invalidations;
    const revision = revisionOf(scan.digests);
    const changed = revision !== this.#last;
    // Exact only against a trusted previous scan: a symlinked file is in no digest, and
    // after a watcher error the controller is to read everything once.
    if (changed) this.#history.add(revision, trusted && !scan.incomplete ? scan.changed : undefined);
    this.#digests = scan.digests;
    this.#trusted = !scan.incomplete && this.#invalidations === invalidations;
    this.#last = revision;
    // What this sync digested, for the pass to check what it reads against: only of a tree seen
    // whole (a symlinked file is in no digest, nor is a folder that could not be listed).
    return { revision, dir: this.#dir, changed, ...(scan.incomplete ? {} : { digests: scan.digests }) };
  }

  changedPaths(from: string, to: string): Promise<readonly string[] | undefined> {
    // With a symlink the revision does not cover what it points to: it cannot tell.
    return Promise.resolve(this.#trusted ? this.#history.between(from, to) : undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #scanAll(
    signal: AbortSignal | undefined,
  ): Promise<{ digests: Digests; changed: Set<string>; incomplete: boolean }> {
    const { files, special, incomplete } = await listFiles(this.#dir);
    const digests: Digests = new Map();
    for (const file of files) {
      if (signal?.aborted) throw new SourceSyncError('SOURCE_ABORTED', 'directory scan was cancelled');
      const digest = await digestFile(this.#dir, file);
      if (digest !== undefined) digests.set(file, digest);
    }
    for (const file of special) {
      const info = await lstat(path.join(this.#dir, file)).catch(() => undefined);
      const digest = await digestAt(this.#dir, file, info);
      if (digest !== undefined) digests.set(file, digest);
    }
    const before = this.#digests ?? new Map<string, string>();
    const changed = new Set<string>();
    for (const [file, digest] of digests) if (before.get(file) !== digest) changed.add(file);
    for (const file of before.keys()) if (!digests.has(file)) changed.add(file);
    return { digests, changed, incomplete };
  }

  /** Looks at the hinted paths only; undefined when a symlink turns up (then everything is scanned). */
  async #scanHints(
    current: Digests,
    hints: ReadonlySet<string>,
    signal: AbortSignal | undefined,
  ): Promise<{ digests: Digests; changed: Set<string>; incomplete: boolean } | undefined> {
    const digests = new Map(current);
    const changed = new Set<string>();
    const affected = new Set<string>();
    for (const hint of hints) {
      if (isIgnoredPath(hint)) continue;
      affected.add(hint);
      const prefix = `${hint}/`;
      for (const file of current.keys()) if (file.startsWith(prefix)) affected.add(file);
      const info = await lstat(path.join(this.#dir, hint)).catch(() => undefined);
      if (info?.isSymbolicLink()) return undefined;
      if (!info?.isDirectory()) continue;
      const listed = await listFiles(this.#dir, hint).catch(() => undefined);
      if (listed === undefined || listed.incomplete) return undefined;
      for (const file of [...listed.files, ...listed.special]) affected.add(file);
    }
    for (const file of affected) {
      if (signal?.aborted) throw new SourceSyncError('SOURCE_ABORTED', 'directory scan was cancelled');
      const info = await lstat(path.join(this.#dir, file)).catch(() => undefined);
      if (info?.isSymbolicLink()) return undefined;
      const digest = await digestAt(this.#dir, file, info);
      if (digest === current.get(file)) continue;
      changed.add(file);
      if (digest === undefined) digests.delete(file);
      else digests.set(file, digest);
    }
    return { digests, changed, incomplete: false };
  }
}

/** The tree's identity: every file's path and content digest, in path order. */
function revisionOf(digests: Digests): string {
  const hash = createHash('sha256');
  for (const file of [...digests.keys()].sort()) hash.update(`${file}\0${digests.get(file)}\n`);
  return `sha256:${hash.digest('hex')}`;
}
