import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { UsageError } from '../errors.js';
import { sourceFileFromBytes } from './decode.js';
import type { SourceFile } from './load.js';
import {
  DEFAULT_MAX_FILE_BYTES,
  isInside,
  listManifestFilesSync,
  type ReadDirOptions,
  type ReadDirResult,
  type WalkFs,
} from './read-dir.js';
import { brokenLink } from './read-file.js';
import { compareText } from '../text/compare.js';
import { escapeText } from '../text/safe-text.js';
import { shellQuote } from '../text/shell-quote.js';
import { COMMIT_ID } from '../state/commit-id.js';
import { leavesDirectory } from '../files/leaves-directory.js';

export type TreeEntry = { mode: string; type: string; object: string; size: number; path: string };

/** `git ls-tree -r -l -z` lines: `<mode> <type> <object> <size>\t<path>` (size 0 without -l). */
export function parseLsTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', object = '', size = ''] = record.slice(0, tab).trim().split(/\s+/);
    entries.push({ mode, type, object, size: Number(size) || 0, path: record.slice(tab + 1) });
  }
  return entries;
}

/**
 * Reads many blobs through one `git cat-file --batch`, instead of a process per file. `env`:
 * git's whole environment (the controller's private one); default this process's.
 */
export function readBlobs(
  cwd: string,
  objects: readonly string[],
  env?: Record<string, string>,
): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(firstLine(stderr) || `exit code ${String(code)}`));
      const all = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let offset = 0;
      while (offset < all.length) {
        const eol = all.indexOf(0x0a, offset);
        const header = all.subarray(offset, eol === -1 ? all.length : eol).toString();
        // `<object> <type> <size>`; an object the repository lacks is `<object> missing`.
        const [object = '', type = '', size = ''] = header.split(' ');
        const length = Number(size);
        if (eol === -1 || type !== 'blob' || !/^\d+$/.test(size) || eol + 1 + length > all.length)
          return reject(new Error(`object ${object} is ${type === 'missing' ? 'missing' : 'unreadable'}`));
        blobs.set(object, all.subarray(eol + 1, eol + 1 + length));
        offset = eol + 1 + length + 1;
      }
      resolve(blobs);
    });
    // A git that exits early (no such directory, a broken repository) is reported by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(objects.map((o) => `${o}\n`).join(''));
  });
}

/** readBlobs of `entries`, failing as a usage error that names --base. */
function readBlobsOf(
  top: string,
  shown: string,
  entries: ReadonlyArray<{ object: string }>,
): Promise<Map<string, Buffer>> {
  return readBlobs(
    top,
    entries.map((entry) => entry.object),
  ).catch((cause: unknown) => {
    throw new UsageError(
      'GIT_FAILED',
      `--base: cannot read the files of "${shown}" (git cat-file: ${gitReason(cause)})`,
      { cause },
    );
  });
}

/** The first non-empty line of a git message, without git's "fatal: " prefix. */
function firstLine(text: string): string {
  const line = text.split('\n').find((part) => part.trim() !== '') ?? '';
  return line.trim().replace(/^(?:fatal|error): /, '');
}

/** Why a git command failed, in one line: its own message, else the error's. */
function gitReason(error: unknown): string {
  return escapeText(firstLine(error instanceof Error ? error.message : String(error)));
}

/** A path as the git tree fs sees it: what a checkout would hold there. */
export type Node =
  | { kind: 'missing' }
  | { kind: 'dir' }
  | { kind: 'submodule'; path: string }
  | { kind: 'link'; target: string }
  | { kind: 'file'; entry?: TreeEntry };

/** A path `path.normalize` would change: an empty, `.` or `..` component, or a trailing slash. */
const NOT_NORMAL = /\/\/|\/\.\.?(\/|$)|.\/$/;

/** Links resolved before giving up, as the system's realpath does (ELOOP). */
const MAX_LINK_HOPS = 40;

/**
 * The files of one commit as a file system placed at `top` (the working tree's top), for
 * the directory walk: what a checkout of that commit would show. Links are resolved in the
 * commit's tree; a path that leaves the repository is looked up on this machine, as it
 * would be from a checkout (the walk follows no link out of the manifests directory), unless
 * `onlyTree`: then nothing outside `top` is looked at, and every path there is a folder (the
 * controller's checkout: what its machine holds beside it is no part of the repository).
 */
export class GitTreeFs implements WalkFs {
  readonly #children = new Map<string, TreeEntry[]>();
  /** Each directory's realpath walk, by the path asked for. */
  readonly #dirs = new Map<string, { real: string | undefined; hops: number }>();
  readonly #prefix: string;

  constructor(
    readonly top: string,
    readonly entries: ReadonlyMap<string, TreeEntry>,
    /** The target of each link, by its blob id. */
    readonly linkTargets: ReadonlyMap<string, string>,
    /** Thrown for a submodule the walk would read. */
    readonly refuse: (submodule: string) => Error,
    readonly onlyTree = false,
  ) {
    this.#prefix = top.endsWith('/') ? top : `${top}/`;
    for (const entry of entries.values()) {
      const slash = entry.path.lastIndexOf('/');
      const parent = slash === -1 ? '' : entry.path.slice(0, slash);
      const siblings = this.#children.get(parent);
      if (siblings) siblings.push(entry);
      else this.#children.set(parent, [entry]);
    }
  }

  /**
   * The tree path of `absolute`, or undefined outside `top`. The walk's paths are
   * normalised and under `top`: taken by their prefix, where `path.relative` normalised
   * both sides of every lookup (a tenth of a `--base` plan's CPU at 10,000 files).
   */
  #treePath(absolute: string): string | undefined {
    if (absolute === this.top) return '';
    if (path.sep === '/' && absolute.startsWith(this.#prefix) && !NOT_NORMAL.test(absolute)) {
      return absolute.slice(this.#prefix.length);
    }
    return isInside(this.top, absolute)
      ? path.relative(this.top, absolute).split(path.sep).join('/')
      : undefined;
  }

  /** One path, no link followed. */
  lookup(absolute: string): Node {
    const treePath = this.#treePath(absolute);
    if (treePath !== undefined) {
      if (treePath === '') return { kind: 'dir' };
      const entry = this.entries.get(treePath);
      if (!entry) return { kind: 'missing' };
      if (entry.mode === '120000') return { kind: 'link', target: this.linkTargets.get(entry.object) ?? '' };
      if (entry.type === 'tree') return { kind: 'dir' };
      if (entry.type === 'commit') return { kind: 'submodule', path: treePath };
      return { kind: 'file', entry };
    }
    if (this.onlyTree) return { kind: 'dir' };
    try {
      const info = lstatSync(absolute);
      if (info.isSymbolicLink()) return { kind: 'link', target: readlinkSync(absolute) };
      return info.isDirectory() ? { kind: 'dir' } : { kind: 'file' };
    } catch {
      return { kind: 'missing' };
    }
  }

  /**
   * Where `target` leads in the tree, links followed, as the system's realpath. Each
   * directory is resolved once (the walk asks for every file of a directory in turn): the
   * file's name is then resolved from its directory's result, links counted from there.
   */
  realpath(target: string): string | undefined {
    const parent = path.dirname(target);
    if (parent === target || !path.isAbsolute(target) || NOT_NORMAL.test(target)) {
      return this.#resolve(target).real;
    }
    let dir = this.#dirs.get(parent);
    if (dir === undefined) {
      dir = this.#resolve(parent);
      this.#dirs.set(parent, dir);
    }
    if (dir.real === undefined) return undefined;
    // What the whole path's walk would meet before the name: a file (no name inside it) or a submodule.
    const node = this.lookup(dir.real);
    if (node.kind === 'file') return undefined;
    if (node.kind === 'submodule') throw this.refuse(node.path);
    return this.#resolve(path.basename(target), dir.real, dir.hops).real;
  }

  /** The component walk: `rest` resolved from `current` (a root of its own when absolute). */
  #resolve(rest: string, from?: string, hopsSoFar = 0): { real: string | undefined; hops: number } {
    let current = from ?? path.parse(rest).root;
    const queue = (from === undefined ? path.relative(current, rest) : rest).split(path.sep);
    let hops = hopsSoFar;
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        current = path.dirname(current);
        continue;
      }
      const next = path.join(current, name);
      const node = this.lookup(next);
      if (node.kind === 'missing') return { real: undefined, hops };
      if (node.kind === 'link') {
        if (++hops > MAX_LINK_HOPS || node.target === '') return { real: undefined, hops };
        if (path.isAbsolute(node.target)) current = path.parse(node.target).root;
        queue.unshift(...node.target.split('/'));
        continue;
      }
      const more = queue.some((part) => part !== '' && part !== '.');
      if (node.kind === 'file' && more) return { real: undefined, hops };
      if (node.kind === 'submodule' && more) throw this.refuse(node.path);
      current = next;
    }
    return { real: current, hops };
  }

  readdir(dir: string): ReturnType<WalkFs['readdir']> {
    const resolved = this.realpath(dir);
    const node = resolved === undefined ? undefined : this.lookup(resolved);
    if (node?.kind === 'submodule') throw this.refuse(node.path);
    if (resolved === undefined || node?.kind !== 'dir' || !isInside(this.top, resolved)) {
      throw new Error(`${dir} is not a directory of the tree`);
    }
    return (this.#children.get(this.#treePath(resolved)!) ?? []).map((entry) => {
      const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      const link = entry.mode === '120000';
      const isDir = !link && entry.type !== 'blob';
      return {
        name,
        isDirectory: () => isDir,
        isFile: () => !link && entry.type === 'blob',
        isSymbolicLink: () => link,
      };
    });
  }

  stat(target: string): ReturnType<WalkFs['stat']> {
    if (!isInside(this.top, target)) return statSync(target);
    const kind = this.lookup(target).kind;
    return { isDirectory: () => kind === 'dir' || kind === 'submodule', isFile: () => kind === 'file' };
  }
}

/**
 * `dir` as the user named it. The working directory is known only by its real path, but
 * a shell entered it by its name ($PWD, `cd audiences`): when $PWD is where we are, a
 * relative `dir` is taken from it, so that a directory entered through a link is that link,
 * which the base may point elsewhere than the working tree does.
 */
function namedPath(dir: string): string {
  const pwd = process.env.PWD;
  if (path.isAbsolute(dir) || !pwd || !path.isAbsolute(pwd)) return path.resolve(dir);
  try {
    if (realpathSync(pwd) === realpathSync(process.cwd())) return path.resolve(pwd, dir);
  } catch {
    // $PWD is gone or unreadable: not where we are.
  }
  return path.resolve(dir);
}

/** `absolute`, or its nearest ancestor that is a directory on this machine. */
function nearestExisting(absolute: string): string {
  for (let at = absolute; ; at = path.dirname(at)) {
    if (statSync(at, { throwIfNoEntry: false })?.isDirectory() === true) return at;
    if (path.dirname(at) === at) return at;
  }
}

/**
 * Range and set notations: `rev-parse` answers them with several ids, or one that starts
 * with `^` (`^HEAD`), or none at all (`HEAD^@`, `HEAD^!`, `HEAD^-` with --verify).
 */
function isRangeNotation(ref: string, answer: string): boolean {
  if (answer.includes('\n') || answer.startsWith('^')) return true;
  return answer === '' && /\^[@!]$|\^-\d*$/.test(ref);
}

/**
 * What to add to "cannot resolve": a shallow clone (actions/checkout fetches one commit
 * by default) or a repository without commits is the usual cause, and has a fix.
 */
async function whyUnresolved(git: SimpleGit): Promise<string> {
  const [head, shallow] = await Promise.all([
    git.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => ''),
    git.raw(['rev-parse', '--is-shallow-repository']).catch(() => ''),
  ]);
  if (head.trim() === '') return ': the repository has no commits yet';
  if (shallow.trim() === 'true') {
    return ': it is a shallow clone; fetch the history and the base branch (actions/checkout: fetch-depth: 0)';
  }
  return '';
}

/**
 * The git answers a base read begins with (the repository's top, the commit, its whole
 * tree), asked at once. `plan --base` asks before it reads the working tree, so that git
 * runs beside that read rather than after it. A failure stays in its promise, to be met
 * where readManifestsAtRef meets it.
 */
export type BaseTreeAnswers = {
  git: SimpleGit;
  top: Promise<string>;
  commit: Promise<string>;
  listing: Promise<string>;
};

export function askBaseTree(dir: string, ref: string): BaseTreeAnswers {
  // A directory the working tree no longer has (a pull request removing it) is looked up
  // in the base from the repository that holds its nearest existing folder.
  const git = simpleGit({ baseDir: nearestExisting(path.resolve(dir)) });
  const top = git.revparse(['--show-toplevel']);
  const commit = git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  // A range or an unknown name is refused before the listing is read: none is asked for.
  const listing = commit.then((answer) =>
    COMMIT_ID.test(answer.trim())
      ? git.raw(['ls-tree', '-r', '-t', '-l', '-z', '--full-tree', answer.trim()])
      : '',
  );
  for (const answer of [top, commit, listing]) answer.catch(() => undefined);
  return { git, top, commit, listing };
}

/**
 * Why `dir`'s repository could not be read for --base. git refuses a checkout another user owns
 * ("detected dubious ownership in repository at '…'": a CI container job running as another uid
 * than the checkout's): that is no missing repository, and "not in a git repository" sent users
 * looking for one. git names the repository, and the way to trust it.
 */
function notReadableRepository(dir: string, cause: unknown): UsageError {
  const distrusted = /dubious ownership in repository at '([^']+)'/.exec(String(cause))?.[1];
  if (distrusted !== undefined)
    return new UsageError(
      'GIT_REPO_DISTRUSTED',
      `--base: git refuses to read the repository of ${escapeText(dir)} (${escapeText(distrusted)}): another user owns it (git's safe.directory); let git read it (git config --global --add safe.directory ${shellQuote(distrusted)}) or run plan --base as its owner`,
      { cause },
    );
  return new UsageError(
    'NOT_A_GIT_REPO',
    `--base: ${escapeText(dir)} is not in a git repository; run plan --base in a checkout of the manifests`,
    { cause },
  );
}

/**
 * Reads the manifests of `dir` as they are at `ref` of its repository, without
 * touching the working tree: the desired state of the base branch of a pull request.
 */
export async function readManifestsAtRef(
  dir: string,
  ref: string,
  options: ReadDirOptions & {
    /**
     * Whether the caller already holds this file with this git blob id (the working
     * tree's, for `plan --base`): then it is not read, and its path is in `known`.
     */
    holds?: (relative: string, blob: string) => boolean;
    /** askBaseTree's answers for this `dir` and `ref`, if the caller asked ahead. */
    asked?: BaseTreeAnswers;
  } = {},
): Promise<ReadDirResult & { known: string[]; present: boolean }> {
  const shown = escapeText(ref);
  if (ref.startsWith('-') || ref.trim() === '') {
    throw new UsageError('BAD_REF', `"${shown}" is not a git revision`);
  }
  const asked = options.asked ?? askBaseTree(dir, ref);
  const git = asked.git;
  let top: string;
  try {
    top = (await asked.top).trim();
  } catch (cause) {
    // Said apart from a bad ref: "cannot resolve HEAD" sent users looking for a ref.
    throw notReadableRepository(dir, cause);
  }
  let answer: string;
  try {
    answer = (await asked.commit).trim();
  } catch {
    answer = '';
  }
  // A range (`main..HEAD`, `HEAD...main`, `^HEAD`) is several revisions, or an exclusion:
  // there is no one tree to read the base from.
  if (isRangeNotation(ref, answer))
    throw new UsageError(
      'BAD_REF',
      `--base: "${shown}" is not a single revision: give a commit, branch or tag`,
    );
  if (!COMMIT_ID.test(answer))
    throw new UsageError(
      'BAD_REF',
      `--base: cannot resolve "${shown}" in the git repository at ${escapeText(dir)}${await whyUnresolved(git)}`,
    );

  // The whole tree: a link in the manifests directory, or the directory itself, may point
  // anywhere in the repository, and is followed as it is in the base commit.
  let listing: string;
  try {
    listing = await asked.listing;
  } catch (cause) {
    throw new UsageError(
      'GIT_FAILED',
      `--base: cannot list the files of "${shown}" (git ls-tree: ${gitReason(cause)})`,
      { cause },
    );
  }
  const entries = new Map(parseLsTree(listing).map((entry) => [entry.path, entry]));
  const links = [...entries.values()].filter((entry) => entry.mode === '120000');
  const linkBlobs = links.length === 0 ? new Map<string, Buffer>() : await readBlobsOf(top, shown, links);
  const linkTargets = new Map([...linkBlobs].map(([object, bytes]) => [object, bytes.toString()]));
  // git names the top by its real path: a directory reached through a symlink (macOS's
  // /tmp, a linked workspace) is resolved on this machine up to the repository, then in the tree.
  const tree = new GitTreeFs(
    await realpath(top),
    entries,
    linkTargets,
    (submodule) =>
      new UsageError(
        'BASE_SUBMODULE',
        `--base: ${escapeText(submodule)} is a submodule in "${shown}": its manifests are not in this repository's history, so the base cannot be read as a checkout would read it; plan without --base`,
      ),
  );
  const root = namedPath(dir);
  const realRoot = tree.realpath(root);
  if (realRoot !== undefined && !isInside(tree.top, realRoot)) {
    throw new UsageError(
      'BASE_OUTSIDE',
      `--base: ${escapeText(dir)} is, in "${shown}", a link out of the repository: its manifests are not in git; plan without --base`,
    );
  }
  // Not there in the base (a directory the pull request adds): nothing to compare with.
  if (realRoot === undefined || tree.stat(realRoot).isDirectory() === false) {
    return { files: [], diagnostics: [], known: [], present: false };
  }
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // The directory reader's own walk, over the tree: the same folders skipped, the same links followed.
  const listed = listManifestFilesSync(root, options, undefined, tree);
  const diagnostics = listed.diagnostics;
  const broken = new Set<string>();
  const wanted: Array<TreeEntry & { relative: string }> = [];
  for (const { relative, absolute } of listed.found) {
    const target = tree.realpath(absolute);
    const node = target === undefined ? undefined : tree.lookup(target);
    if (node?.kind === 'file' && node.entry) wanted.push({ ...node.entry, relative });
    else broken.add(relative);
  }
  const known = wanted.filter((entry) => options.holds?.(entry.relative, entry.object) === true);
  const knownPaths = new Set(known.map((entry) => entry.relative));
  const small = wanted.filter((entry) => entry.size <= maxBytes && !knownPaths.has(entry.relative));
  const blobs = await readBlobsOf(top, shown, small);
  const files: SourceFile[] = [
    ...wanted.filter((entry) => !knownPaths.has(entry.relative)),
    ...[...broken].map((relative) => ({ relative, broken: true as const })),
  ]
    .sort((a, b) => compareText(a.relative, b.relative))
    .map((entry) => {
      if ('broken' in entry) return { path: entry.relative, unreadable: brokenLink(entry.relative) };
      const bytes = entry.size <= maxBytes ? blobs.get(entry.object) : undefined;
      if (bytes !== undefined) return sourceFileFromBytes(entry.relative, bytes);
      return {
        path: entry.relative,
        unreadable: {
          severity: 'error',
          file: entry.relative,
          line: 0,
          column: 0,
          rule: 'source/file-too-large',
          message: `file is ${entry.size} bytes, over the ${maxBytes}-byte limit`,
        },
      };
    });
  return { files, diagnostics, known: [...knownPaths], present: true };
}

/** What the base holds at one path of the working tree (readFileAtBase). */
export type FileAtBase =
  | { kind: 'outside' }
  | { kind: 'absent' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'file'; bytes: Buffer };

/**
 * The file at `file` (a path on this machine, resolved through its links) as the base commit
 * of `asked` holds it: `outside` when it is not in that repository's work tree (or git could
 * not say: the base read reports that itself), `absent` when the base has no file there.
 */
export async function readFileAtBase(
  asked: BaseTreeAnswers,
  file: string,
  maxBytes: number,
): Promise<FileAtBase> {
  let top: string;
  let real: string;
  let listing: string;
  try {
    top = await realpath((await asked.top).trim());
    real = await realpath(file);
    if (!COMMIT_ID.test((await asked.commit).trim())) return { kind: 'outside' };
    listing = await asked.listing;
  } catch {
    return { kind: 'outside' };
  }
  const relative = path.relative(top, real);
  if (relative === '' || leavesDirectory(relative)) return { kind: 'outside' };
  const wanted = relative.split(path.sep).join('/');
  const entry = parseLsTree(listing).find((e) => e.path === wanted);
  // A directory, or a submodule's commit: no file of this repository's history.
  if (entry === undefined || entry.type !== 'blob') return { kind: 'absent' };
  if (entry.mode === '120000') return { kind: 'unreadable', reason: 'it is a symbolic link there' };
  if (entry.size > maxBytes)
    return { kind: 'unreadable', reason: `it is ${entry.size} bytes, over the ${maxBytes}-byte limit` };
  try {
    const bytes = (await readBlobs(top, [entry.object])).get(entry.object);
    return bytes === undefined
      ? { kind: 'unreadable', reason: 'git cat-file gave nothing' }
      : { kind: 'file', bytes };
  } catch (cause) {
    return { kind: 'unreadable', reason: `git cat-file: ${gitReason(cause)}` };
  }
}
