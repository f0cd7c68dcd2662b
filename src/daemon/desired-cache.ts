import type { Stats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../manifest/diagnostics.js';
import { startManifestLoader, type LoadedFile } from '../manifest/load-isolated.js';
import { assembleLoad } from '../manifest/assemble.js';
import type { LoadResult, SourceFile } from '../manifest/load.js';
import {
  DEFAULT_MAX_FILE_BYTES,
  readManifestDir,
  SKIPPED_DIRS,
  type ReadDirOptions,
} from '../manifest/read-dir.js';
import { fileSelector } from '../source/file-filter.js';
import { rememberSpec } from '../manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from '../plan/normalise.js';
import type { ChangeList, CheckoutLink, Source, SourceRevision } from '../source/types.js';
import { compareText } from '../text/compare.js';
import { isAbsence } from '../state/errors.js';
import { assertDirectoryThere } from '../source/directory-gone.js';
import { readLinks } from './checkout-links.js';
import { NOT_SELECTED, nothingSelected } from '../manifest/read-dir.js';
import { maySayNotSelected, submodulesNotRead } from '../manifest/read-left-out.js';
import { readSourceFile } from '../manifest/read-file.js';
import { contentDigest } from '../source/content-digest.js';
import { isChangeList, settledRead, withUnsettled, type HeldRead } from './read-settled.js';

/** Reads one manifest file (relative to the tree, absolute on disk), as `readManifestFile` does. */
export type ManifestReader = (relative: string, absolute: string, maxBytes?: number) => SourceFile;

/** How the last load read the tree, for logs, tests and the benchmark. */
export type LoadReport = {
  revision: string;
  mode: 'full' | 'incremental';
  /** Why everything was read (full), e.g. `resync`, `first read`, `changes unknown`. */
  reason?: string;
  /** The manifest files read from disk, in order. */
  read: string[];
};

export type DesiredCacheOptions = {
  read: ReadDirOptions;
  defaultSandbox: string;
  /**
   * Default: the cache reads the file itself (readSourceFile), hashing its bytes to check them
   * against a directory revision's digests; what a reader given here reads is not checked.
   */
  readFile?: ManifestReader;
};

/**
 * Remembers the hash of each manifest's normalised spec once, when its file is read: a
 * pass plans all 10,000 manifests, and without it the planner normalised and hashed
 * every unchanged one again on every pass (about 0.25 s at 10,000).
 */
function withSpecHashes(file: LoadedFile): LoadedFile {
  if ('parsed' in file)
    for (const { manifest } of file.parsed.manifests)
      rememberSpec(manifest, { hash: specHash(normaliseSpec(manifest.spec)), name: manifest.spec.name });
  return file;
}

/**
 * Falls back to a full read: a symlink, the root itself, a tree that cannot be listed, a file
 * the full read says it leaves out, a `.gitmodules`.
 */
class Doubt extends Error {}

/**
 * The manifests of the last revision the controller read, parsed, so that the next
 * revision re-reads only the files the source says changed (`Source.changedPaths`: the
 * git diff, or the paths the directory watcher reported) and reuses the others.
 * Everything is read when asked (`full`: the resync safety net, the first pass), when
 * nothing was read yet, and on any doubt: the source cannot tell what changed (history
 * rewritten, a watcher error), a symlink, a submodule not checked out, a changed file the full
 * read would say it leaves out, and while the last full read warned about the tree.
 * The result is `assembleLoad` of the same files a full read gives, in the same order,
 * so plans, diagnostics, held audiences and deletions are the same as a full read's.
 */
export class DesiredCache {
  readonly #options: DesiredCacheOptions;
  readonly #selected: (file: string) => boolean;
  #revision: string | undefined;
  readonly #files = new Map<string, LoadedFile>();
  /** The digests of the bytes read of `#files`, for a revision with digests (read-settled.ts). */
  readonly #digests = new Map<string, string>();
  /** Files whose read is not what the revision names: read again at the next load. */
  readonly #unsettled = new Set<string>();
  /** Paths of `#files` in the full read's order; undefined after a file came or went. */
  #order: string[] | undefined;
  /** The full read's own warnings (symlinks leaving the tree). */
  #treeDiagnostics: Diagnostic[] = [];
  /** The folders below the directory the full read met holding a `.gitmodules` (Listing's). */
  #gitmodulesFolders: string[] = [];
  #last: LoadReport | undefined;

  constructor(options: DesiredCacheOptions) {
    this.#options = options;
    this.#selected = fileSelector(options.read);
  }

  get last(): LoadReport | undefined {
    return this.#last;
  }

  /**
   * The files of the last load read other than as its revision names them (written while the
   * pass read them, read-settled.ts): read again at the next load, and until then the revision
   * is not reconciled as the tree holds it.
   */
  get unsettled(): string[] {
    return [...this.#unsettled].sort(compareText);
  }

  /** Forgets everything: the next load reads the whole tree. */
  clear(): void {
    this.#revision = undefined;
    this.#files.clear();
    this.#digests.clear();
    this.#unsettled.clear();
    this.#order = undefined;
    this.#treeDiagnostics = [];
    this.#gitmodulesFolders = [];
  }

  async load(
    revision: SourceRevision,
    source: Pick<Source, 'changedPaths'>,
    request: { full: boolean; reason: string },
    signal?: AbortSignal,
  ): Promise<LoadResult> {
    try {
      return await this.#load(revision, source, request, signal);
    } catch (error) {
      // The directory gone since its sync (removed, unmounted; or a `--dir` whose sync failed,
      // read by a forced pass): the sync's one line naming it, not the walk's raw ENOENT.
      await assertDirectoryThere(revision.dir);
      throw error;
    }
  }

  async #load(
    revision: SourceRevision,
    source: Pick<Source, 'changedPaths'>,
    request: { full: boolean; reason: string },
    signal?: AbortSignal,
  ): Promise<LoadResult> {
    let reason = this.#fullReason(request, revision.links ?? []) ?? (await this.#submoduleReason(revision));
    if (reason === undefined) {
      const changes = await source.changedPaths?.(this.#revision!, revision.revision, signal);
      if (changes === undefined) reason = 'changes unknown';
      else {
        const update = await this.#update(revision, withUnsettled(changes, this.#unsettled)).catch(
          (error: unknown) => {
            // Half updated: never reuse it.
            this.clear();
            if (error instanceof Doubt) return error;
            throw error;
          },
        );
        if (!(update instanceof Doubt)) {
          this.#settle(revision, update.affected);
          this.#revision = revision.revision;
          this.#last = { revision: revision.revision, mode: 'incremental', read: update.read };
          return this.#assemble();
        }
        reason = update.message;
      }
    }
    return this.#readAll(revision, reason);
  }

  #fullReason(
    request: { full: boolean; reason: string },
    links: readonly CheckoutLink[],
  ): string | undefined {
    if (request.full) return request.reason;
    if (this.#revision === undefined) return 'first read';
    // A link not followed is said, or read as broken, by the full read alone.
    if (links.some((link) => link.kind !== 'file')) return 'symlinks in the tree';
    // Links not followed, files left out, submodules: the full read alone says them.
    if (this.#treeDiagnostics.length > 0) return 'warnings about the tree';
    return undefined;
  }

  /**
   * A submodule not checked out is an empty folder on disk (the git source never checks one
   * out; `git pull` without --recurse-submodules leaves a new one empty in a `--dir`): read
   * incrementally, the removals the diff or the watcher names in it deleted the audiences a
   * full read holds, with its warning (source/submodule-not-checked-out; review 34c, H-1). Looked
   * for as the full read looks, on every pass: a look for `.gitmodules` where there is none, and
   * in the repositories checked out below the directory that the full read met (a `.gitmodules`
   * coming or going there is a changed path, which reads everything).
   */
  async #submoduleReason(revision: SourceRevision): Promise<string | undefined> {
    const root = await realpath(revision.dir).catch(() => undefined);
    if (root === undefined) return 'the directory cannot be resolved';
    const found = submodulesNotRead(root, this.#readOptions(revision), this.#gitmodulesFolders);
    return found.length > 0 ? 'a submodule not checked out' : undefined;
  }

  /** A git source's checkout has no `.git`: its `.gitmodules` names the submodules it leaves empty. */
  #readOptions(revision: SourceRevision): ReadDirOptions {
    return revision.top === undefined
      ? this.#options.read
      : { ...this.#options.read, checkoutTop: revision.top };
  }

  async #readAll(revision: SourceRevision, reason: string): Promise<LoadResult> {
    this.clear();
    const loader = startManifestLoader();
    const options = this.#readOptions(revision);
    const links = readLinks(revision.links ?? [], this.#options.read, this.#selected);
    const hash = revision.digests !== undefined;
    const accept = (file: SourceFile, bytes?: Buffer) => {
      if (!links.unread.has(file.path)) loader.accept(file);
      if (hash && bytes) this.#digests.set(file.path, contentDigest(bytes));
    };
    const read = await readManifestDir(revision.dir, options, accept).catch((error: unknown) => {
      loader.close();
      throw error;
    });
    const files = [...read.files.filter((file) => !links.unread.has(file.path)), ...links.broken];
    for (const file of await loader.parse(files)) this.#files.set(file.path, withSpecHashes(file));
    this.#gitmodulesFolders = read.gitmodulesFolders;
    this.#treeDiagnostics = [
      ...read.diagnostics.filter((d) => d.rule !== NOT_SELECTED || !links.linkedTargets.has(d.file)),
      ...links.diagnostics,
    ];
    this.#settle(revision, [...(revision.digests?.keys() ?? []), ...this.#files.keys()]);
    this.#revision = revision.revision;
    this.#last = { revision: revision.revision, mode: 'full', reason, read: read.files.map((f) => f.path) };
    return this.#assemble();
  }

  /**
   * Marks which of `paths` the cache holds other than as the revision names them. Not while the
   * tree has warnings: every load then reads it whole, and the walk leaves out files the sync
   * digested (a submodule checked out at another commit).
   */
  #settle(revision: SourceRevision, paths: Iterable<string>): void {
    const named = revision.digests;
    if (named === undefined || this.#treeDiagnostics.length > 0) {
      this.#unsettled.clear();
      return;
    }
    for (const file of paths) {
      if (this.#isManifestPath(file) && !settledRead(named, file, this.#held(file)))
        this.#unsettled.add(file);
      else this.#unsettled.delete(file);
    }
  }

  #held(file: string): HeldRead {
    if (!this.#files.has(file)) return { kind: 'absent' };
    const digest = this.#digests.get(file);
    return digest === undefined ? { kind: 'unchecked' } : { kind: 'bytes', digest };
  }

  /** Reads one file; with `hash`, keeps the digest of its bytes (none from a reader given in the options). */
  #readOne(file: string, absolute: string, hash: boolean): SourceFile {
    const maxBytes = this.#options.read.maxFileBytes;
    this.#digests.delete(file);
    if (this.#options.readFile) return this.#options.readFile(file, absolute, maxBytes);
    const read = readSourceFile(file, absolute, maxBytes ?? DEFAULT_MAX_FILE_BYTES);
    if (hash && read.bytes) this.#digests.set(file, contentDigest(read.bytes));
    return read.file;
  }

  /**
   * Reads the changed paths again (what is under a directory path, too); returns the files read.
   * With a `ChangeList`, only a path the source says was removed is gone: another one missing
   * from the tree is a doubt (a checkout moved or pruned under this read, say), never a removal.
   * Returns the files read, and every path looked at.
   */
  async #update(
    revision: SourceRevision,
    changes: readonly string[] | ChangeList,
  ): Promise<{ read: string[]; affected: string[] }> {
    const { dir } = revision;
    const links = revision.links ?? [];
    // A link's file is its target's bytes: read again whatever the diff says, as an edit of the
    // target alone changes it (the diff names the target, not the link).
    const followed = links.filter((link) => link.kind === 'file').map((link) => link.path);
    const paths = [...(isChangeList(changes) ? changes.changed : changes), ...followed];
    const removed = isChangeList(changes) ? new Set(changes.removed) : undefined;
    const affected = new Set<string>();
    for (const changed of paths) {
      if (changed === '' || changed === '.') throw new Doubt('the whole tree changed');
      // The submodules the full read looks for (read-submodules.ts) may now be others, a
      // submodule's own among them.
      if (changed === '.gitmodules' || changed.endsWith('/.gitmodules'))
        throw new Doubt('a .gitmodules changed');
      affected.add(changed);
      const prefix = `${changed}/`;
      for (const known of this.#files.keys()) if (known.startsWith(prefix)) affected.add(known);
      const info = await lstatIfThere(path.join(dir, changed));
      if (info?.isSymbolicLink()) throw new Doubt('a symlink changed');
      if (info?.isDirectory()) for (const file of await listTree(dir, changed)) affected.add(file);
    }
    // A file a read link names is not said to be left out (checkout-links.ts).
    const linked = readLinks(links, this.#options.read, this.#selected).linkedTargets;
    const fresh: SourceFile[] = [];
    for (const file of [...affected].sort(compareText)) {
      const absolute = path.join(dir, file);
      if (!this.#isManifestPath(file)) {
        // The full read says it is not read (source/not-selected) and keeps the warning with
        // the tree's; read incrementally, it said nothing until the next resync (review 34c, L-1).
        if (
          !linked.has(file) &&
          maySayNotSelected(file, absolute, this.#options.read) &&
          (await lstatIfThere(absolute))?.isFile()
        )
          throw new Doubt('a file left out by the default selection changed');
        continue;
      }
      const info = await lstatIfThere(absolute);
      if (info?.isSymbolicLink()) throw new Doubt('a symlink changed');
      if (info?.isFile()) fresh.push(this.#readOne(file, absolute, revision.digests !== undefined));
      // A FIFO, socket or device: no removed manifest, the full read refuses it (read-dir.ts).
      else if (info && !info.isDirectory()) throw new Doubt('a changed path is not a regular file');
      else if (removed && !removed.has(file)) throw new Doubt('a changed file is missing from the tree');
      else if (this.#files.delete(file)) {
        this.#digests.delete(file);
        this.#order = undefined;
      }
    }
    if (fresh.length === 0) return { read: [], affected: [...affected] };
    const parsed = await startManifestLoader().parse(fresh);
    for (const file of parsed) {
      if (!this.#files.has(file.path)) this.#order = undefined;
      this.#files.set(file.path, withSpecHashes(file));
    }
    return { read: fresh.map((file) => file.path), affected: [...affected] };
  }

  /** The full read's choice: selected by the filters, under no skipped directory. */
  #isManifestPath(file: string): boolean {
    const dirs = file.split('/').slice(0, -1);
    return !dirs.some((part) => SKIPPED_DIRS.has(part)) && this.#selected(file);
  }

  /**
   * The CLI's warning of filters that select no file (read-dir.ts), on every pass, the
   * incremental ones too: a controller whose `--include` has a typo said on /plan that the
   * audiences match the manifests, with no diagnostic on /status (review 33, L-1). Not kept
   * with the tree's diagnostics, which make every pass a full read.
   */
  #nothingSelected(): Diagnostic[] {
    const { include, exclude } = this.#options.read;
    return (include !== undefined || exclude !== undefined) && this.#files.size === 0
      ? [nothingSelected({ include, exclude })]
      : [];
  }

  #assemble(): LoadResult {
    this.#order ??= [...this.#files.keys()].sort(compareText);
    const loaded = assembleLoad(
      this.#order.map((file) => this.#files.get(file)!),
      { defaultSandbox: this.#options.defaultSandbox },
    );
    loaded.diagnostics.unshift(...this.#treeDiagnostics, ...this.#nothingSelected());
    return loaded;
  }
}

/**
 * The path's lstat, or undefined when it is not there. Any other failure (a directory that
 * cannot be searched, EACCES) is a doubt: read as absent, the manifests behind it were
 * deleted, where the full read fails on it.
 */
async function lstatIfThere(target: string): Promise<Stats | undefined> {
  try {
    return await lstat(target);
  } catch (error) {
    if (isAbsence(error)) return undefined;
    throw new Doubt(
      `a changed path cannot be looked at (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Files (and FIFOs, sockets, devices) under `under` (relative to `dir`, `/`-separated); a symlink is a doubt. */
async function listTree(dir: string, under: string): Promise<string[]> {
  const entries = await readdir(path.join(dir, under), { recursive: true, withFileTypes: true }).catch(() => {
    throw new Doubt('a changed directory cannot be listed');
  });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.isSymbolicLink()) throw new Doubt('a symlink changed');
    // A file, or what the full read refuses as none (a FIFO named like a manifest).
    if (entry.isDirectory()) continue;
    files.push(path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
  }
  return files;
}
