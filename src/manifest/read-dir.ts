import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { kindOf } from '../files/read-regular.js';
import path from 'node:path';
import {
  DEFAULT_INCLUDE,
  fileSelector,
  filtersGiven,
  mayHoldSelected,
  isSwapFile,
  SKIPPED_DIRS,
  globMatcher,
  shownExtension,
  unselectedByDefault,
  type FileFilters,
  type Unselected,
} from '../source/file-filter.js';
import {
  SUBMODULE_NOT_CHECKED_OUT,
  SUBMODULE_STALE,
  SYMLINK_NOT_FOLLOWED,
  type Diagnostic,
} from './diagnostics.js';
import type { SourceFile } from './load.js';
import {
  DEFAULT_MAX_FILE_BYTES,
  fileDiagnostic,
  readManifestFile,
  readSourceFile,
  type FileFacts,
} from './read-file.js';
import { compareText } from '../text/compare.js';
import { UsageError } from '../errors.js';
import {
  uncheckedMessage,
  uncheckedNested,
  uncheckedSubmodules,
  type UncheckedSubmodule,
} from './read-submodules.js';
import { leavesDirectory } from '../files/leaves-directory.js';
import { looksLikeManifest, saysSubmodule } from './read-left-out.js';

export type ReadDirOptions = {
  /** Globs relative to the root. Default `**\/*.yaml`, `**\/*.yml`. */
  include?: string[];
  exclude?: string[];
  /** Larger files are refused. Default 1 MiB. */
  maxFileBytes?: number;
  /**
   * Warn when the filters select no file (the CLI's commands; the controller's DesiredCache,
   * whose incremental reads list no tree, adds the same warning itself: nothingSelected).
   */
  warnIfNothingSelected?: boolean;
  /**
   * The checkout the directory is in, when it has no `.git` (the controller's): its
   * `.gitmodules` names the submodules, which it never checks out. Default: the git work tree
   * holding the directory, if any.
   */
  checkoutTop?: string;
  /**
   * Which files are listed, instead of the filters (src/manifest/read-elsewhere.ts lists the
   * files a plan did not read); no file is then said to be left out (notSelected), nor listed
   * as `unread`.
   */
  select?: (relative: string) => boolean;
};

export { DEFAULT_INCLUDE, DEFAULT_MAX_FILE_BYTES, readManifestFile, SKIPPED_DIRS };

export type ReadDirResult = { files: SourceFile[]; diagnostics: Diagnostic[] };

/** readManifestDir's: with the folders below the root holding a `.gitmodules` (Listing). */
export type DirReadResult = ReadDirResult & { gitmodulesFolders: string[] };

/** A path named like a manifest that is no regular file (a FIFO, a socket, a device): never opened. */
export type RefusedFile = Extract<SourceFile, { unreadable: Diagnostic }>;

/** `target` is `root` or under it (paths compared as given: no link is resolved). */
export function isInside(root: string, target: string): boolean {
  // Absolute paths path.resolve keeps as they are compare as text: path.relative resolved both,
  // and a plan's search beyond the directory asked this of every file git named (10,000 and more).
  if (path.sep === '/' && resolvedAsIs(root) && resolvedAsIs(target))
    return target === root || target.startsWith(root === '/' ? root : `${root}/`);
  const relative = path.relative(root, target);
  return relative === '' || !leavesDirectory(relative);
}

/** A `.` or `..` segment, a doubled `/`, or a `/` at the end (but the root's): what path.resolve changes. */
const UNRESOLVED = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** An absolute path that path.resolve gives back as it is. */
function resolvedAsIs(absolute: string): boolean {
  return absolute.startsWith('/') && !UNRESOLVED.test(absolute);
}

export type FoundFile = { relative: string; absolute: string };

function realpathOrUndefined(target: string): string | undefined {
  try {
    return realpathSync(target);
  } catch {
    return undefined;
  }
}

/**
 * A listing: the files the filters select (`found`), what the walk met that is said
 * (`diagnostics`) or refused, and `unread`: the files that the filters, or the default
 * selection, leave out (an editor's swap file aside), which a plan with removals looks through
 * for their manifests (src/manifest/read-elsewhere.ts: those named like manifests, and those of
 * any other name that claim to be one, a manifest renamed `gold.ymal`) without walking the
 * directory again. Each sorted by path.
 */
export type Listing = {
  found: FoundFile[];
  diagnostics: Diagnostic[];
  refused: RefusedFile[];
  unread: FoundFile[];
  /**
   * The folders below the root (on disk) holding a `.gitmodules`: the checked-out repositories
   * whose submodules the walk looked at (uncheckedNested), for the controller to look at again
   * on each incremental pass (read-left-out.ts).
   */
  gitmodulesFolders: string[];
};

/** What the walk asks of a file system: node's, or a git tree's (src/manifest/read-git.ts). */
export type WalkFs = {
  readdir(dir: string): Array<{
    name: string;
    isDirectory(): boolean;
    isFile(): boolean;
    isSymbolicLink(): boolean;
  }>;
  /** The path with every link resolved; undefined when it does not exist (or is a loop). */
  realpath(target: string): string | undefined;
  /** Of a resolved path; throws when it cannot be stat-ed. */
  stat(target: string): { isDirectory(): boolean; isFile(): boolean };
  /** What a path that is neither a file nor a folder is ("a named pipe (FIFO)"); node's only. */
  special?(target: string): string | undefined;
};

const NODE_FS: WalkFs = {
  readdir: (dir) => readdirSync(dir, { withFileTypes: true }),
  realpath: realpathOrUndefined,
  stat: (target) => statSync(target),
  special: (target) => {
    const info = statSync(target, { throwIfNoEntry: false });
    return info && !info.isFile() && !info.isDirectory() ? kindOf(info) : undefined;
  },
};

/** fs.stat, or undefined: a link whose target is no path (/proc/self/fd/0 -> `pipe:[…]`) cannot be stat-ed. */
function statOrUndefined(fs: WalkFs, target: string): ReturnType<WalkFs['stat']> | undefined {
  try {
    return fs.stat(target);
  } catch {
    return undefined;
  }
}

/** A link named as a folder whose manifests `selected` would read. */
function mayHoldManifests(relative: string, selected: (file: string) => boolean): boolean {
  return !path.extname(relative) && (selected(`${relative}/a.yaml`) || selected(`${relative}/a.yml`));
}

/** The selection a link must match to be warned about when it is not followed (default: the default's). */
export function includeMatcherOf(options: Pick<ReadDirOptions, 'include'>): (file: string) => boolean {
  return globMatcher(options.include ?? DEFAULT_INCLUDE);
}

/**
 * What the walk makes of a link it does not follow (its target `outside` the directory, or
 * `missing`: renamed, removed, a loop): `listed`, so that reading it fails as a broken link and
 * holds every deletion, as any unreadable file does (read as absent, it deleted the audiences it
 * defined; so is a link that may have been a folder of manifests: no extension, and a manifest
 * in it would be read); else a warning when `include` would have read it; else nothing. The
 * controller's checkout, which holds no link, asks the same (src/daemon/checkout-links.ts).
 */
export function unfollowedLink(
  relative: string,
  target: 'outside' | 'missing',
  selected: (file: string) => boolean,
  include: (file: string) => boolean,
): 'listed' | Diagnostic | undefined {
  if (target === 'missing' && (selected(relative) || mayHoldManifests(relative, selected))) return 'listed';
  if (!include(relative) && path.extname(relative)) return undefined;
  // A link to a missing file was reported as "outside": a rename left it behind.
  return target === 'outside'
    ? fileDiagnostic(
        relative,
        'warning',
        SYMLINK_NOT_FOLLOWED,
        'symlink points outside the source root; not followed',
      )
    : fileDiagnostic(
        relative,
        'warning',
        'source/symlink-broken',
        'symlink target does not exist (or is a loop); not followed',
      );
}

/**
 * Lists the manifest files under `root` (symlinks followed only inside it), sorted, without reading them.
 * Synchronous (~50 ms for 10,000 files): a plan reads the state meanwhile in long
 * synchronous runs, which held an asynchronous walk, and so the parser threads, back.
 */
export function listManifestFilesSync(
  root: string,
  options: ReadDirOptions = {},
  /** Called once when the listing passes `after` files (a caller starts its parser threads). */
  many?: { after: number; call: () => void },
  fs: WalkFs = NODE_FS,
): Listing {
  // Only to warn about symlinks that would have been read: compiled at the first link.
  let includeMatcher: ((file: string) => boolean) | undefined;
  const include = (file: string) => (includeMatcher ??= includeMatcherOf(options))(file);
  const selected = options.select ?? fileSelector(options);
  // The files the filters leave out, of a directory on disk listed with the plan's own filters:
  // kept (`unread`), and without filters, one named like a manifest is said to be left out.
  const listsUnread = options.select === undefined && fs === NODE_FS;
  const tellUnselected = listsUnread && filtersGiven(options).length === 0;
  /** Files left out for a dot, said at the end unless a link the listing reads points at them. */
  const leftOut: Array<{ relative: string; absolute: string; left: Unselected }> = [];
  /** The targets of the links to files the listing reads (a ConfigMap volume's `gold.yaml -> ..data/gold.yaml`). */
  const linkedFiles = new Set<string>();
  const realRoot = fs === NODE_FS ? realpathSync(root) : fs.realpath(root);
  if (realRoot === undefined) throw new Error(`${root} does not exist`);
  const diagnostics: Diagnostic[] = [];
  const found: FoundFile[] = [];
  const refused: RefusedFile[] = [];
  const unread: FoundFile[] = [];
  const visited = new Set<string>([realRoot]);
  // Submodules not checked out (their folders empty), or checked out at another commit than
  // the index records (stale: never walked into): only in a directory on disk, not a git
  // tree's (read-git.ts refuses a submodule the walk meets).
  const submodules = fs === NODE_FS ? uncheckedSubmodules(realRoot, options.checkoutTop) : [];
  const itself = submodules.find((s) => s.relative === '');
  if (itself)
    throw new UsageError(
      itself.stale ? 'SUBMODULE_STALE' : 'SUBMODULE_NOT_CHECKED_OUT',
      `${root}: ${uncheckedMessage(itself)}`,
    );
  const stale = new Set(submodules.filter((s) => s.stale).map((s) => s.relative));
  /** Folders met holding a `.gitmodules`: checked-out submodules may have submodules of their own. */
  const nested: string[] = [];

  const pending = [''];
  while (pending.length > 0) {
    const relDir = pending.pop()!;
    const dir = path.join(root, relDir);
    // path.join(root, relative), without normalising the whole path again for each of
    // 10,000 files: an entry's name is one segment, never "." or "..".
    const prefix = dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`;
    let entries: ReturnType<WalkFs['readdir']>;
    try {
      entries = fs.readdir(dir);
    } catch (cause) {
      // The root's failure is the caller's to report (it names the directory given).
      if (relDir === '' || !isSystemError(cause)) throw cause;
      // A folder that cannot be listed may hold manifests: never read as removed ones, it is
      // refused as a file that cannot be read is, which holds every deletion. Unless the
      // filters select no file under it: such a file would not be opened either.
      if (mayHoldSelected(relDir, options))
        refused.push({ path: relDir, unreadable: unlistable(relDir, cause) });
      continue;
    }
    for (const entry of entries) {
      const relative = relDir ? `${relDir}/${entry.name}` : entry.name;
      const absolute = `${prefix}${entry.name}`;
      if (entry.name === '.gitmodules' && relDir !== '' && fs === NODE_FS) nested.push(relDir);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = fs.realpath(absolute);
        // A manifest behind a link whose target is gone (a rename left it behind) cannot be
        // read: listed, so that reading it fails and holds every deletion, as any unreadable
        // file does; read as absent, it deleted the audiences it defined. So is a link that
        // may have been a folder of manifests (no extension, and a manifest in it would be read).
        if (!target || !isInside(realRoot, target)) {
          const said = unfollowedLink(relative, target ? 'outside' : 'missing', selected, include);
          if (said === 'listed') {
            found.push({ relative, absolute });
            if (many && found.length === many.after + 1) many.call();
          } else if (said) diagnostics.push(said);
          continue;
        }
        const info = statOrUndefined(fs, target);
        if (!info) {
          // Resolved to no path (a /proc "magic" link: `pipe:[…]`): never opened (a pipe's read
          // waits for a writer), reported as a broken link is.
          const read = selected(relative) || mayHoldManifests(relative, selected);
          if (read || include(relative) || !path.extname(relative))
            diagnostics.push(noPathLink(relative, read ? 'error' : 'warning'));
          continue;
        }
        if (info.isDirectory() && visited.has(target)) continue;
        if (info.isDirectory()) visited.add(target);
        isDir = info.isDirectory();
        isFile = info.isFile();
        if (isFile && tellUnselected && selected(relative)) linkedFiles.add(target);
      }
      if (isDir && !SKIPPED_DIRS.has(entry.name)) {
        if (!stale.has(relative)) pending.push(relative);
      } else if (isFile && selected(relative)) {
        found.push({ relative, absolute });
        if (many && found.length === many.after + 1) many.call();
      } else if (isFile) {
        if (listsUnread && !isSwapFile(relative)) unread.push({ relative, absolute });
        const left = tellUnselected ? unselectedByDefault(relative) : undefined;
        if (left?.why === 'extension') diagnostics.push(notSelected(relative, left));
        // A renamed one (`b.yaml~`, `b.yaml.bak`) is not said: an editor's backup is there for
        // as long as a save takes, and would make the tree warned (every pass of the controller
        // a full read that no longer marks the file being saved unsettled: read-settled.ts). It
        // holds the removal its name left (read-elsewhere.ts), which names it.
        else if (left !== undefined && left.why !== 'renamed') leftOut.push({ relative, absolute, left });
      } else if (!isDir && selected(relative)) {
        // Opening a FIFO waits for a writer; a socket or device is no manifest: never read. Nor
        // is it a removed manifest (that deleted the audiences it defined): refused, as a file
        // that cannot be read is, which holds every deletion.
        const kind = fs.special?.(absolute);
        if (kind !== undefined) refused.push({ path: relative, unreadable: notAFile(relative, kind) });
      }
    }
  }

  for (const { relative, absolute, left } of leftOut) {
    const real = linkedFiles.size > 0 ? realpathOrUndefined(absolute) : undefined;
    if ((real === undefined || !linkedFiles.has(real)) && looksLikeManifest(absolute))
      diagnostics.push(notSelected(relative, left));
  }

  if (nested.length > 0) {
    const inner = uncheckedNested(realRoot, nested);
    submodules.push(...inner);
    // A stale submodule of a submodule was walked: what was found in it is dropped.
    const staleInner = inner.filter((s) => s.stale).map((s) => `${s.relative}/`);
    if (staleInner.length > 0) {
      const kept = (file: string) => !staleInner.some((folder) => `${file}/`.startsWith(folder));
      found.splice(0, found.length, ...found.filter((f) => kept(f.relative)));
      unread.splice(0, unread.length, ...unread.filter((f) => kept(f.relative)));
      refused.splice(0, refused.length, ...refused.filter((f) => kept(f.path)));
      diagnostics.splice(0, diagnostics.length, ...diagnostics.filter((d) => kept(d.file)));
    }
  }
  for (const submodule of submodules) {
    if (saysSubmodule(submodule, options)) diagnostics.push(notCheckedOut(submodule));
  }

  // Filters given that select nothing are most likely a typo (`audences/**`): without a
  // word, validate passed and plan said "No changes". Not when they selected a path that is
  // refused (a FIFO, a folder that cannot be listed): its error names what they selected, and
  // the controller's incremental reads, which keep it as a file, never said it (review 41, F-4).
  if (options.warnIfNothingSelected && found.length === 0 && refused.length === 0)
    diagnostics.push(nothingSelected(options));
  found.sort((a, b) => compareText(a.relative, b.relative));
  unread.sort((a, b) => compareText(a.relative, b.relative));
  return { found, diagnostics, refused, unread, gitmodulesFolders: nested };
}

/**
 * The warning of filters that select no file (`audences/**`): without a word, validate passed,
 * and plan, apply and the controller said the audiences match the manifests.
 */
export function nothingSelected(filters: FileFilters): Diagnostic {
  return fileDiagnostic(
    '.',
    'warning',
    'source/include-matched-nothing',
    `no file is selected by ${filtersGiven(filters).join(' ')}: nothing was read`,
  );
}

/** Rule of the warning that a file named like a manifest is not read by default. */
export const NOT_SELECTED = 'source/not-selected';

/** The warning that the default selection leaves out `file`, and why (review 31, H-2). */
function notSelected(file: string, left: Unselected): Diagnostic {
  let why = 'its name begins with a dot, which audiencectl reads only when an --include names it';
  if (left.why === 'extension')
    why = `audiencectl reads files ending in .yaml or .yml (this one ends in ${shownExtension(left.extension)})`;
  else if (left.why === 'dot-folder')
    why = `it is in a dot folder (${left.folder}), which audiencectl reads only when an --include names it`;
  return fileDiagnostic(file, 'warning', NOT_SELECTED, `not read: ${why}`);
}

function notCheckedOut(submodule: UncheckedSubmodule): Diagnostic {
  return fileDiagnostic(
    submodule.relative,
    'warning',
    submodule.stale ? SUBMODULE_STALE : SUBMODULE_NOT_CHECKED_OUT,
    uncheckedMessage(submodule),
  );
}

function noPathLink(file: string, severity: Diagnostic['severity']): Diagnostic {
  const message =
    'symlink target is not a path that exists (a link to a pipe or a socket, say); not followed';
  return fileDiagnostic(file, severity, 'source/symlink-broken', message);
}

/** An error of the file system's (EACCES, EIO…, named with its call), not a refusal of a git tree's reader. */
function isSystemError(cause: unknown): cause is NodeJS.ErrnoException {
  return cause instanceof Error && typeof (cause as NodeJS.ErrnoException).syscall === 'string';
}

/** What the error of a folder that cannot be listed says after why (unlistable). */
export const UNLISTABLE_HELD = '; the manifests in it are not read, and deletions are held until it is fixed';

function unlistable(folder: string, cause: Error): Diagnostic {
  const message = `cannot read folder: ${cause.message}${UNLISTABLE_HELD}`;
  return fileDiagnostic(folder, 'error', 'source/unreadable', message);
}

function notAFile(file: string, kind: string): Diagnostic {
  const message = `it is ${kind}, not a regular file: never opened; the audiences it defined are left as they are and deletions are held; make it a file again, or remove it`;
  return fileDiagnostic(file, 'error', 'source/not-a-file', message);
}

/**
 * A listing with the stat facts of each file (four numbers a file: size, mtimeMs, ctimeMs, inode;
 * a NaN size when it could not be stat-ed), taken in the fact scan's thread (src/scan)
 * while this one reads the caches. `startedAt`: when the listing started.
 */
export type StattedListing = Listing & {
  startedAt: number;
  facts: Float64Array;
};

/** How many numbers a StattedListing's `facts` holds for each file. */
export const FACTS_PER_FILE = 4;

/** What the manifest cache compares of a file (it follows symlinks); undefined when it cannot be stat-ed. */
export function statFacts(absolute: string): FileFacts | undefined {
  try {
    const info = statSync(absolute);
    return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
  } catch {
    return undefined;
  }
}

/** listManifestFilesSync, then statFacts of each file. */
export function statListing(
  root: string,
  options: ReadDirOptions = {},
  now: () => number = Date.now,
): StattedListing {
  const startedAt = now();
  const { found, diagnostics, refused, unread, gitmodulesFolders } = listManifestFilesSync(root, options);
  const facts = new Float64Array(found.length * FACTS_PER_FILE).fill(Number.NaN);
  // Written in place, as statFacts reads them: no object or array per file (10,000 a plan).
  for (let index = 0; index < found.length; index += 1) {
    let info: Stats;
    try {
      info = statSync(found[index]!.absolute);
    } catch {
      continue;
    }
    const at = index * FACTS_PER_FILE;
    facts[at] = info.size;
    facts[at + 1] = info.mtimeMs;
    facts[at + 2] = info.ctimeMs;
    facts[at + 3] = info.ino;
  }
  return { startedAt, found, diagnostics, refused, unread, gitmodulesFolders, facts };
}

/** Lists the manifest files under `root` (symlinks followed only inside it) and reads them. */
export function readManifestDir(
  root: string,
  options: ReadDirOptions = {},
  /**
   * Called with each file as soon as it is read (the parser threads start on it), with the bytes
   * read when there are any: a view the next read overwrites (hash it at once).
   */
  onFile: (file: SourceFile, bytes?: Buffer) => void = () => undefined,
): Promise<DirReadResult> {
  // In an executor: a failed listing is the promise's rejection, as callers expect.
  return new Promise((resolve) => {
    const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const { found, diagnostics, refused, gitmodulesFolders } = listManifestFilesSync(root, options);
    const files: SourceFile[] = found.map(({ relative, absolute }) => {
      const read = readSourceFile(relative, absolute, maxBytes);
      onFile(read.file, read.bytes);
      return read.file;
    });
    for (const file of refused) {
      onFile(file);
      files.push(file);
    }
    resolve({ files, diagnostics, gitmodulesFolders });
  });
}
