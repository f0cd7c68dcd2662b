import { closeSync, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Copied, ManifestElsewhere, NamedElsewhere, RemovedIn, Unplaced } from '../plan/elsewhere.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord } from '../state/schema.js';
import {
  fileSelector,
  isSwapFile,
  namedLikeManifest,
  unreadClaimant,
  unselectedByDefault,
  type FileFilters,
} from '../source/file-filter.js';
import type { SourceFile } from './load.js';
import { isInside, listManifestFilesSync, UNLISTABLE_HELD, type FoundFile } from './read-dir.js';
import { DEFAULT_MAX_FILE_BYTES, readManifestFile } from './read-file.js';
import { gitTop, realDirectory } from './read-source-root.js';
import {
  filesAndOthersNaming,
  filesAt,
  listable,
  notCheckedOut,
  placeRemovals,
  type Unread,
} from './read-moved.js';
import { claimsOurs, headClaim } from './read-left-out.js';
import { sourceFileFromBytes } from './decode.js';
import { recordRevision } from '../plan/older-checkout.js';
import { rootDirectory } from './source-root.js';
import { waitingName } from '../plan/waiting-move.js';
import { audienceNameKey } from './duplicates.js';
import { specName } from './spec-hash-memo.js';

/** Outside a git work tree, how far above the directory given the records' files are looked for. */
export const LEVELS_UP = 3;

/** Where a plan read its manifests, and how: what findManifestsElsewhere needs to look beyond. */
export type ElsewhereSource = FileFilters & {
  /** The directory the plan read. */
  dir: string;
  /** The sandbox of manifests that name none, as the plan's loader used it. */
  defaultSandbox: string;
  maxFileBytes?: number | undefined;
  /**
   * Look above `dir` for the records' files. Default true; false for a `--base` plan, whose
   * records come from `dir` itself at another commit.
   */
  above?: boolean;
  /**
   * For a `--base` plan (`above: false`): the commit its records come from, `dir` itself at it.
   * Their files gone from `dir` are looked for in the work tree as an apply's own are (ownGone):
   * one moved out of it is held (`moved-out`, `not-selected`), as the apply after the merge
   * holds it, unless that commit held the file found, naming the record, already.
   */
  baseCommit?: string | undefined;
  /**
   * The highest directory looked in (a git source's checkout, whose `--path` is below it).
   * Default: the top of the git work tree holding `dir`, else LEVELS_UP levels above it.
   */
  top?: string | undefined;
  /**
   * `dir` as a record keeps it (sourceRoot), when the plan knows it otherwise than by looking
   * for a git work tree: a saved plan's, made in one, applied where `.git` is gone.
   */
  sourceRoot?: string | undefined;
  /**
   * How a path is shown. Default: relative to `dir` (`../retail/web.yaml`, `..`), as every
   * path of a plan is; never to the working directory, which a saved plan is applied from
   * another (its held reasons are compared as text).
   */
  show?: ((absolute: string) => string) | undefined;
  /**
   * The files under `dir` named like manifests that the plan's own listing of it left out
   * (read-dir.ts listManifestFilesSync's `unread`), when it has one: `dir` is then not walked
   * again for them. Without it (the controller's cached reads), `dir` is walked.
   */
  unread?: readonly FoundFile[] | undefined;
  /**
   * The repository the plan is of (PlanOptions.repository), `undefined` when its work tree names
   * none (no remote). Then a record of the directory given that names the repository it was
   * applied from, whose removal git does not show, is held (`unplaced`, `unnamed-repository`):
   * it may be another repository's. So is one that names a repository whose path differs from
   * the planned one's by a prefix (`prefixed-repository`). Absent: not asked (the plan compares
   * repositories itself: those of other paths are left alone there).
   */
  planned?: { repository: string | undefined; origin?: string | undefined } | undefined;
};

/** Why git does not place a removal, without the placement's `removed`. */
function unplacedWhy(place: Unplaced): Unplaced {
  if (place.why === 'git-failed') return { why: place.why, detail: place.detail };
  if (place.why === 'unnamed-repository') return { why: place.why, repository: place.repository };
  if (place.why === 'prefixed-repository')
    return { why: place.why, repository: place.repository, planned: place.planned };
  if (place.why === 'unnamed-record') return { why: place.why, planned: place.planned };
  if (place.why === 'upstream-repository')
    return { why: place.why, repository: place.repository, origin: place.origin };
  return { why: place.why };
}

/**
 * Why a record of the directory given, whose removal git does not place, is held: the plan
 * cannot tell its work tree from the repository the record names, as its own names none
 * (`unnamed-repository`), or one whose path differs from the record's by a prefix
 * (`prefixed-repository`: a mirror's, or another group's repository of the same name; the
 * paths alone cannot tell, and a removal is never taken from a guess); or the record names none
 * while the plan names its own (`unnamed-record`): applied by a work tree without a remote (a
 * second team's `git init`, not pushed yet), it is no more this repository's than the other way
 * round; removed before, by a CI job's shallow clone, whose history cannot show the removal
 * (review scope-44, H-1). A record of an earlier release, which named no repository either, is
 * removed where git shows this work tree removing its file (a clone with its history).
 * A record of the very repository planned is held too when the plan is made as it for a clone
 * of another (`upstream-repository`, PlanOptions via cloneRepository: a fork's `upstream`): a
 * repository made from it as a template keeps it as its upstream with no shared history, and
 * deleted its audiences as its own removed manifests (review scope-44, H-2); a fork's clone with
 * its history shows its own removals. Undefined when neither names a repository, or the record
 * the very one planned of a clone of it.
 */
function ofUnconfirmedRepository(
  record: AudienceRecord,
  source: ElsewhereSource,
):
  | Extract<
      Unplaced,
      { why: 'unnamed-repository' | 'prefixed-repository' | 'unnamed-record' | 'upstream-repository' }
    >
  | undefined {
  const { repository } = record;
  if (source.planned === undefined) return undefined;
  const planned = source.planned.repository;
  if (repository === undefined) return planned === undefined ? undefined : { why: 'unnamed-record', planned };
  if (planned === undefined) return { why: 'unnamed-repository', repository };
  if (planned !== repository) return { why: 'prefixed-repository', repository, planned };
  const { origin } = source.planned;
  return origin === undefined ? undefined : { why: 'upstream-repository', repository, origin };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The piece of an audience name (spec.name) that every manifest naming it holds in its text,
 * but in ASCII case, unless it spells it with an escape (a backslash: a candidate anyway): the
 * longest run of ASCII letters and digits, and characters with no case (CJK), none of which a
 * YAML scalar folds, quotes or splits. Undefined when there is none (a name of punctuation or
 * cased non-ASCII letters only): every file may name it.
 */
export function namePiece(name: string): string | undefined {
  let longest = '';
  let run = '';
  for (const c of name) {
    const kept =
      /^[A-Za-z0-9]$/.test(c) || (c > '\x7f' && !/\s/u.test(c) && c.toLowerCase() === c.toUpperCase());
    run = kept ? run + c : '';
    if (run.length > longest.length) longest = run;
  }
  return longest === '' ? undefined : longest;
}

/**
 * A pattern of an audience name as a YAML scalar writes it, unless with an escape (a
 * backslash): its words in any case, whitespace between them (a scalar folded over lines), a
 * quote maybe doubled (single-quoted). Empty (anything) for a name of whitespace.
 */
function namePattern(name: string): string {
  const words = name
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== '');
  return words.map((word) => [...word].map((c) => (c === "'" ? "'{1,2}" : escape(c))).join('')).join('\\s+');
}

/**
 * A pattern that matches a text that may name any of `keys`: one holding a key as written, or
 * a backslash, since a key may be spelled with an escape in a double-quoted scalar
 * (`"g\x6Fld"`, `"\u0067old"`, a `\` line break), which only the parse reads as the key
 * (keys are `[a-z0-9-]`: no other spelling, folding, quoting, reaches them); or any of `names`
 * (namePattern, case aside). A superset: the parse after it decides.
 */
function keyPattern(keys: Iterable<string>, names: Iterable<string> = []): RegExp {
  const escaped = [...[...keys].map(escape), ...[...names].map(namePattern)];
  return new RegExp([...escaped, '\\\\'].join('|'), 'iu');
}

/** Whether `text` holds `key` as written, as a whole word (not `gold` in `gold-2`). */
const holdsKey = (text: string, key: string) =>
  new RegExp(`(?<![a-z0-9-])${escape(key)}(?![a-z0-9-])`).test(text);

/**
 * A file read, with where it is (to look at the bytes of one that cannot be read as text).
 * `claimant`: named like no manifest, looked at only because its head claims to be one
 * (readLeftOut): only a manifest parsed from it names a record. A README.md under the directory
 * whose example manifest names a key (in a fenced block, which fails to parse as YAML) held that
 * audience's true removal as a broken manifest, pointing to fix the README.
 */
type Read = { file: SourceFile; absolute?: string | undefined; claimant?: true };

function read(relative: string, absolute: string, maxBytes: number): Read {
  return { file: readManifestFile(relative, absolute, maxBytes), absolute };
}

/**
 * A file the default leaves out as renamed (`b.json`, `b.yaml.bak`: file-filter.ts) is looked at
 * only when its text claims to be an audiencectl manifest: another tool's JSON, or a lock file
 * too large to read, holding a key as a word, is no manifest that holds a removal.
 */
function claimedIfRenamed({ file }: Read): boolean {
  if (unselectedByDefault(file.path)?.why !== 'renamed') return true;
  // One that cannot be read at all may claim: held, as git's search holds it (read-moved.ts Unread).
  if ('unreadable' in file) return file.unreadable.rule === 'source/unreadable';
  return claimsOurs(file.text);
}

/**
 * What the search reads of the records other than those it looks for (`recorded`): where each was
 * applied from, by its key (a plan of audiences of two kinds gives its quiet records' heads).
 */
export type RecordPlace = Pick<AudienceRecord, 'sandbox' | 'key' | 'manifestFile' | 'sourceRoot'>;

/** A record a plan would remove, as it is looked for: its key, and its audience's name. */
type Sought = { sandbox: string; key: string; name: string | undefined };

const sought = (record: AudienceRecord): Sought => ({
  sandbox: record.sandbox,
  key: record.key,
  name: waitingName(record),
});

/**
 * What names a sought record: a manifest of its key (in any sandbox: `sandbox` is the
 * manifest's), one of its sandbox under another key whose spec.name is the record's audience
 * name (`name`), or a file that may name it and cannot be read (`text`: `sandbox` is the
 * record's).
 */
type Named = { sandbox: string; key: string; file: string } & (
  { by: 'key' } | { by: 'name'; as: string } | { by: 'text'; fault: Fault; detail: string }
);

/**
 * Why a file that may name a record says nothing: it has errors, it cannot be read as text (too
 * large, not UTF-8), or it cannot be read at all (EACCES or EIO, a name that is not UTF-8, a file
 * or folder git could not read: `inaccessible`, whose advice differs).
 */
type Fault = 'errors' | 'unreadable' | 'inaccessible';

/** How many bytes of a file that cannot be read as text are looked through for a key. */
export const SCANNED_BYTES = 64 * 1024 * 1024;

/**
 * The keys of `keys` that the bytes of `absolute` hold as whole words (holdsKey), in its first
 * SCANNED_BYTES; read a chunk at a time. None when it cannot be opened.
 */
function keysInBytes(absolute: string, keys: readonly string[]): string[] {
  const found = new Set<string>();
  const longest = Math.max(...keys.map((key) => key.length));
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    // Keys are ASCII: one byte a character, and every other byte is no key character.
    let carry = '';
    for (let scanned = 0; scanned < SCANNED_BYTES && found.size < keys.length;) {
      const length = readSync(fd, chunk, 0, chunk.length, null);
      if (length === 0) break;
      scanned += length;
      const text = carry + chunk.toString('latin1', 0, length);
      for (const key of keys) if (holdsKey(text, key)) found.add(key);
      carry = text.slice(-(longest + 1));
    }
  } catch {
    // A file that cannot be opened (gone, no permission) is no file there, as isFile says.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return [...found];
}

/** Whether something is at `absolute` (not followed: a broken link is its own rule, source/broken-link). */
function present(absolute: string): boolean {
  try {
    lstatSync(absolute);
    return true;
  } catch {
    return false;
  }
}

/**
 * What in `files` names one of `sought` (Named). Only a file whose text may name one
 * (keyPattern) is parsed, and the loader (zod, the YAML library) is loaded only then: a plan
 * that removes a record whose manifest is nowhere stays as light as one served by its caches.
 * A file that holds a key but fails to parse without naming it, or one that cannot be read as
 * text (too large, not UTF-8) whose bytes hold it, may name it: `by: 'text'`, for each sought
 * record of that key.
 */
async function naming(
  given: readonly Read[],
  records: readonly Sought[],
  defaultSandbox: string,
): Promise<Named[]> {
  const files = given.filter(claimedIfRenamed);
  const claimants = new Set(files.flatMap((f) => (f.claimant ? [f.file.path] : [])));
  const keys = new Set(records.map((r) => r.key));
  const names = records.flatMap((r) => (r.name === undefined ? [] : [r.name]));
  const pattern = keyPattern(keys, names);
  const found: Named[] = [];
  const mayName = (file: string, key: string, fault: Fault, detail: string) => {
    if (claimants.has(file)) return;
    for (const r of records) {
      if (r.key === key) found.push({ sandbox: r.sandbox, key, file, by: 'text', fault, detail });
    }
  };
  const unreadable = new Set(['source/file-too-large', 'text/invalid-utf8']);
  for (const { file, absolute } of files) {
    if (!('unreadable' in file) || absolute === undefined) continue;
    // A read that failed on a file still there (EACCES, EIO): what it names cannot be known, so
    // it may name each key. One gone since it was listed (ENOENT) names none: a race, not a failure.
    if (file.unreadable.rule === 'source/unreadable' && present(absolute)) {
      for (const key of keys) mayName(file.path, key, 'inaccessible', file.unreadable.message);
      continue;
    }
    if (!unreadable.has(file.unreadable.rule)) continue;
    // A claimant names a key only through a manifest parsed from it (mayName refuses it): its
    // bytes are not looked through (a directory store's 10 MB manifest cache claims, and is too large).
    if (claimants.has(file.path)) continue;
    for (const key of keysInBytes(absolute, [...keys])) {
      mayName(file.path, key, 'unreadable', file.unreadable.message);
    }
  }
  const candidates = files.flatMap(({ file }) => ('text' in file && pattern.test(file.text) ? [file] : []));
  if (candidates.length === 0) return found;
  const { loadManifests } = await import('./load.js');
  const loaded = loadManifests(candidates, { defaultSandbox });
  const named = [...loaded.manifests, ...loaded.held].filter((m) => keys.has(m.key));
  found.push(...named.map((m) => ({ sandbox: m.sandbox, key: m.key, file: m.file, by: 'key' as const })));
  for (const m of loaded.manifests) {
    const name = audienceNameKey(specName(m.manifest));
    for (const r of records) {
      if (r.name === undefined || m.sandbox !== r.sandbox || m.key === r.key) continue;
      if (audienceNameKey(r.name) !== name) continue;
      found.push({ sandbox: r.sandbox, key: r.key, file: m.file, by: 'name', as: m.key });
    }
  }
  const failed = new Set(loaded.failedFiles);
  for (const file of candidates) {
    if (!failed.has(file.path)) continue;
    const first = loaded.diagnostics.find((d) => d.file === file.path && d.severity === 'error');
    const detail = first === undefined ? 'it fails to parse' : `line ${first.line}: ${first.message}`;
    for (const key of keys) {
      if (named.some((m) => m.file === file.path && m.key === key) || !holdsKey(file.text, key)) continue;
      mayName(file.path, key, 'errors', detail);
    }
  }
  return found;
}

/**
 * What names a record where a search looked (`named`), as the plan is told it: `byKey` for a
 * manifest of its key, where it was found.
 */
function elsewhereOf(named: Named, file: string, byKey: () => NamedElsewhere): NamedElsewhere {
  const { sandbox, key } = named;
  if (named.by === 'name') return { kind: 'renamed', sandbox, key, file, as: named.as };
  if (named.by === 'text') {
    return { kind: 'broken', sandbox, key, file, fault: named.fault, detail: named.detail };
  }
  return byKey();
}

/**
 * elsewhereOf, but a file the default selection leaves out (`relative`: from the directory
 * that would read it) is `not-selected`: a plan of that directory would not read it either.
 */
function foundAt(named: Named, relative: string, file: string, byKey: () => NamedElsewhere): NamedElsewhere {
  const left = unreadClaimant(relative);
  if (left === undefined) return elsewhereOf(named, file, byKey);
  const { sandbox, key } = named;
  return elsewhereOf(named, file, () => ({ kind: 'not-selected', sandbox, key, file, left }));
}

/**
 * Whether a file read holds no manifest at all, as the loader tells it (src/plan/removals.ts
 * holds a record whose own file is so): `empty` (nothing, or only comments), `skipped` (not read
 * as an audiencectl manifest: a Git LFS pointer, another tool's YAML).
 */
async function withoutManifest(read: Read, sandbox: string): Promise<'empty' | 'skipped' | undefined> {
  if (!('text' in read.file)) return undefined;
  const { loadManifests } = await import('./load.js');
  const loaded = loadManifests([read.file], { defaultSandbox: sandbox });
  if (loaded.emptyFiles.includes(read.file.path)) return 'empty';
  return loaded.skippedFiles.includes(read.file.path) ? 'skipped' : undefined;
}

/**
 * Of the files a plan did not read (`left`), those that may hold a removed record's manifest,
 * read: those named like manifests (namedLikeManifest), and those of any other name whose
 * first bytes claim to be an audiencectl manifest (looksLikeManifest): a manifest renamed to any
 * name, by a typo or a backup's (`gold.ymal`, `gold.yaml.1.bak`, `gold.bak`), holds its removal
 * (review scope-42, H-1). Only the head of those others is read, and only for a plan that removes.
 */
function readLeftOut(left: readonly FoundFile[], maxBytes: number): Read[] {
  // What git returns of these files for a removal is chosen by the same rule (read-left-out.ts
  // readOnlyIfClaimed): a change here is one there.
  return left.flatMap((file): Read[] => {
    if (namedLikeManifest(file.relative)) return [read(file.relative, file.absolute, maxBytes)];
    const head = headClaim(file.absolute);
    if (head === 'no') return [];
    // One that cannot be read may be a manifest renamed: its failed read holds the removal
    // (naming), as git's search holds a file it cannot read (read-moved.ts Unread).
    if (head === 'unreadable') return [read(file.relative, file.absolute, maxBytes)];
    return [{ ...read(file.relative, file.absolute, maxBytes), claimant: true }];
  });
}

/** readLeftOut of the files under `root` that `select` keeps (not an editor's swap file); none when it cannot be listed. */
function readLeftOutTree(root: string, select: (relative: string) => boolean, maxBytes: number): Read[] {
  let listed;
  try {
    listed = listManifestFilesSync(root, {
      select: (relative) => !isSwapFile(relative) && select(relative),
    });
  } catch {
    // As readTree: a tree that cannot be listed holds nothing found.
    return [];
  }
  // A folder in it that cannot be listed (EACCES) may hold the manifest: held, as git's search
  // holds one it cannot open (read-moved.ts Unread), with why (the hold says what to do); a
  // FIFO or socket is no manifest.
  const unlisted = listed.refused.flatMap(({ path: folder, unreadable }): Read[] => {
    if (unreadable.rule !== 'source/unreadable' || !select(folder)) return [];
    const why = { ...unreadable, message: unreadable.message.replace(UNLISTABLE_HELD, '') };
    return [{ file: { path: folder, unreadable: why }, absolute: path.join(root, folder) }];
  });
  return [...readLeftOut(listed.found, maxBytes), ...unlisted];
}

/**
 * The directories to look in above `root`, nearest first: up to `limit`, or LEVELS_UP of them
 * when there is none (outside a git work tree). Paths only: nothing is read.
 */
export function directoriesAbove(root: string, limit: string | undefined): string[] {
  const found: string[] = [];
  for (let at = root; ;) {
    const up = path.dirname(at);
    if (up === at) return found;
    if (limit === undefined ? found.length >= LEVELS_UP : !isInside(limit, up)) return found;
    found.push(up);
    at = up;
  }
}

/**
 * Any error is "no file there", not only ENOENT: a file where the record's path has a folder
 * (ENOTDIR: a root file `loyalty` beside `m/`) is an ordinary tree, and a throw here ended
 * every plan that removes in an internal error. An unreadable folder above (EACCES) could
 * hide a manifest; it is read as none too: this look is a guard beyond the directory given
 * (read in full), and holding every removal for any folder up to the work tree's top that
 * this user cannot read would stop plans that have nothing to do with it.
 */
function isFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/**
 * The directory the record was applied from (its sourceRoot, from the top of the git work tree
 * `top`), when that is neither `root` (real) nor one above or below it (those are looked at, or
 * read, otherwise).
 */
function besideRoot(record: AudienceRecord, root: string, top: string | undefined): Beside | undefined {
  const { sourceRoot, manifestFile } = record;
  if (sourceRoot === undefined || manifestFile === undefined) return undefined;
  const from = rootDirectory(sourceRoot, top);
  if (from === undefined || isInside(from, root) || isInside(root, from)) return undefined;
  return { from, root: sourceRoot, manifestFile };
}

/** `from`: the directory `root` (a record's sourceRoot) names. */
type Beside = { from: string; root: string; manifestFile: string };

/** The record's file as it keeps it: from the top of its work tree (absolute, outside one). */
const recordedFile = (at: Beside) => path.posix.join(at.root, at.manifestFile);

/** The record's file under the directory it was applied from (besideRoot), when it is there. */
function besideFile({ from, manifestFile }: Beside): string | undefined {
  const absolute = path.resolve(from, manifestFile);
  return isInside(from, absolute) && isFile(absolute) ? absolute : undefined;
}

/**
 * For a plan in no git work tree: the record's file and directory, from the top of the one it
 * was applied from, when it was (a path from a top, not an absolute one).
 */
function unreachableFile(
  record: AudienceRecord,
  planned: string | undefined,
): { file: string; dir: string } | undefined {
  const { sourceRoot, manifestFile } = record;
  if (sourceRoot === undefined || manifestFile === undefined || path.isAbsolute(sourceRoot)) return undefined;
  // The directory planned, or one above or below it: what the plan read, or looks above for.
  if (planned !== undefined && !path.isAbsolute(planned) && nested(sourceRoot, planned)) return undefined;
  return { file: path.posix.join(sourceRoot, manifestFile), dir: sourceRoot };
}

/** Whether two paths from a git top (`/`-separated, `.` the top) are one, or one is below the other. */
function nested(a: string, b: string): boolean {
  const below = (inner: string, outer: string) =>
    outer === '.' || inner === outer || inner.startsWith(`${outer}/`);
  return below(a, b) || below(b, a);
}

/**
 * The directory above `root` that records the plan matched were applied from: one whose
 * recorded file is `<prefix>/<a file under root>` (`loyalty/gold.yaml` read as `gold.yaml`
 * under `m/loyalty` says `m`), where that file still names the record's key in its sandbox.
 * Found when no removed record's file is found above (each moved or gone).
 */
async function appliedFrom(
  root: string,
  above: readonly string[],
  others: readonly RecordPlace[],
  source: ElsewhereSource,
  maxBytes: number,
): Promise<string | undefined> {
  for (const dir of above) {
    const prefix = `${path.relative(dir, root).split(path.sep).join('/')}/`;
    for (const record of others) {
      const file = record.manifestFile;
      if (file === undefined || !file.startsWith(prefix)) continue;
      const relative = file.slice(prefix.length);
      const absolute = path.resolve(root, relative);
      if (!isInside(root, absolute) || !isFile(absolute)) continue;
      const text = read(relative, absolute, maxBytes);
      const key = { sandbox: record.sandbox, key: record.key, name: undefined };
      const named = await naming([text], [key], source.defaultSandbox);
      if (named.some((m) => m.by === 'key' && m.sandbox === record.sandbox)) return dir;
    }
  }
  return undefined;
}

/**
 * Whether `root`, the directory given outside any git work tree, is a copy of `from` (an absolute
 * directory records were applied from, neither it nor above or below it): one of `kept` (the
 * records the plan does not remove) was applied from `from`, and its file under `root` names its
 * key in its sandbox, as appliedFrom tells a directory above. A CI job or container reading its
 * manifests at a new path each time (whose plan never records that path in place of the first
 * one's: source-root.ts rerooted) then reads the directory its records came from completely,
 * and a file gone from it is removed.
 */
async function readsCopyOf(
  root: string,
  from: string,
  kept: readonly RecordPlace[],
  defaultSandbox: string,
  maxBytes: number,
): Promise<boolean> {
  for (const record of kept) {
    const file = record.manifestFile;
    if (record.sourceRoot !== from || file === undefined) continue;
    const absolute = path.resolve(root, file);
    if (!isInside(root, absolute) || !isFile(absolute)) continue;
    const key = { sandbox: record.sandbox, key: record.key, name: undefined };
    const named = await naming([read(file, absolute, maxBytes)], [key], defaultSandbox);
    if (named.some((m) => m.by === 'key' && m.sandbox === record.sandbox)) return true;
  }
  return false;
}

/**
 * A record applied from `here`, the directory given (real), or from a directory below it, whose
 * file is gone from it: removed, as the plan read it, unless git shows it moved elsewhere in the
 * work tree `top` (`git mv teams/mkt/b.yaml teams/web/`), where a plan of that directory takes
 * it over (review 31, H-1), or it names a repository this work tree may not be
 * (ofUnconfirmedRepository). A directory below it too: a second team's `git init` planned at
 * its top read `manifests/` there as the records' own, and deleted another repository's
 * audiences applied from its `manifests` (found by the sixtieth pass's nestedgit).
 */
function ownGone(record: AudienceRecord, here: string, top: string): Gone | undefined {
  const { sourceRoot, manifestFile } = record;
  if (sourceRoot === undefined || manifestFile === undefined) return undefined;
  const from = rootDirectory(sourceRoot, top);
  if (from === undefined || !isInside(here, from)) return undefined;
  const at = { from, root: sourceRoot, manifestFile };
  const absolute = path.resolve(from, manifestFile);
  if (!isInside(from, absolute) || isFile(absolute)) return undefined;
  return { record, at, file: fromTop(top, absolute) };
}

/** How many records git cannot place are looked for elsewhere (see movedManifests' caller). */
const UNPLACED_LOOKED_FOR = 100;

/**
 * A record whose file is gone from the directory it was applied from: one beside the directory
 * given (besideRoot), or that directory itself (ownGone: `at.from` is the directory given).
 */
type Gone = { record: AudienceRecord; at: Beside; file: string };

/** `absolute`'s path from `top`, `/`-separated, as git names it. */
function fromTop(top: string, absolute: string): string {
  return path.relative(top, absolute).split(path.sep).join('/');
}

/**
 * `file`'s path, `/`-separated, from the nearest directory holding both it and `here` (the
 * directory given): what unreadClaimant is asked of a manifest found beyond `here` (foundAt). A
 * dot folder both are in is not why the file is not read, every manifest the plan reads being in
 * it too: from the top, `plan .platform/audiences` told of `.platform/old/silver.yaml.bak` that
 * it is in the dot folder .platform, to move it out of it (review verify-43, L-1 (b)).
 */
function fromShared(here: string, file: string): string {
  let shared = here;
  while (!isInside(shared, file) && path.dirname(shared) !== shared) shared = path.dirname(shared);
  return fromTop(shared, file);
}

/**
 * Where a record's manifest moved, found by its key in `file`: out of the directory given
 * (`from` is `here`), or from the directory it was applied from; in a git repository of its own
 * inside the work tree `top` (a folder with a `.git` below `top`), which a plan of this
 * repository's directories never reads, `nested-repository`.
 */
function movedTo(
  named: Named,
  file: string,
  from: string,
  here: string,
  top: string,
  show: (absolute: string) => string,
): NamedElsewhere {
  const { sandbox, key } = named;
  const repository = gitTop(path.dirname(file));
  if (repository !== undefined && repository !== top && isInside(top, repository))
    return { kind: 'nested-repository', sandbox, key, file: show(file), repository: show(repository) };
  if (isInside(here, from)) return { kind: 'moved-out', sandbox, key, file: show(file) };
  return { kind: 'moved', sandbox, key, file: show(file), dir: show(from) };
}

/**
 * The manifests under `top` but not `here` that name, in its sandbox, a record this work tree
 * removed (`removed`, by id, with the commit its file is compared at: read-moved.ts
 * placeRemovals): by its key, by its audience name under another key (moved and renamed), or a
 * file that may name it and cannot be read (naming); unless that commit held the same file
 * naming it then (beside it all along: another sandbox's copy). Files and directories are
 * absolute. The files are found by one `git grep` for the keys and names of those records only,
 * else by reading the tree.
 */
async function movedManifests(
  top: string,
  here: string,
  removed: ReadonlyMap<string, Gone & { compareAt: string | undefined }>,
  maxBytes: number,
): Promise<Array<{ named: Named; file: string; dir: string }>> {
  if (removed.size === 0) return [];
  const records = [...removed.values()].map(({ record }) => sought(record));
  const keys = new Set(records.map((r) => r.key));
  const pieces = records.flatMap((r) => (r.name === undefined ? [] : [namePiece(r.name)]));
  const elsewhere = (relative: string) => !isInside(here, path.resolve(top, relative));
  // The directory planned, which `elsewhere` leaves out, left out by git already (a path from top).
  const planned = path.relative(top, here);
  const leftOut =
    planned !== '' && !planned.startsWith('..') && !path.isAbsolute(planned) && listable(planned)
      ? planned.split(path.sep).join('/')
      : undefined;
  // Of any other name, those that claim to be a manifest: one renamed as it moved (`old/gold.ymal`).
  const grepped = pieces.includes(undefined)
    ? undefined
    : await filesAndOthersNaming(top, keys, new Set(pieces as string[]), leftOut);
  // A name of the grep's (`*.yaml.*`, `*.json`) that is not named like a manifest (a renamed one
  // in a dot folder, `.archive/gold.yaml.bak`, or a dotfile) is one of any other name: the look
  // at other names excludes it, and dropping it here deleted the audience (review scope-43, H-1).
  const files =
    grepped === undefined
      ? readLeftOutTree(top, elsewhere, maxBytes)
      : readLeftOut(
          [...grepped.manifests, ...grepped.others]
            .filter((relative) => !isSwapFile(relative) && elsewhere(relative))
            .map((relative) => ({ relative, absolute: path.resolve(top, relative) })),
          maxBytes,
        );
  // A file that names no sandbox is whichever sandbox its directory is applied to, which this
  // plan cannot know (teams/web's job may run with AEP_SANDBOX=dev, teams/mkt's with prod): it
  // is read with each removed record's sandbox in turn, and names the key in all of them.
  const candidates: Array<{ m: Named; gone: Gone & { compareAt: string | undefined }; found: string }> = [];
  for (const sandbox of new Set(records.map((r) => r.sandbox))) {
    for (const m of await naming(files, records, sandbox)) {
      const gone = removed.get(recordId(m.sandbox, m.key));
      if (gone === undefined || m.sandbox !== sandbox) continue;
      candidates.push({ m, gone, found: fromTop(top, path.resolve(top, m.file)) });
    }
  }
  // A file was beside the record's all along when the commit it is compared at held it, naming
  // the record then too; with no such commit (git cannot place the removal), it moved there.
  const then = await filesAt(
    top,
    candidates.map((c) => [c.gone.compareAt ?? '', c.found] as const),
  );
  const moved: Array<{ named: Named; file: string; dir: string }> = [];
  for (const [index, { m, gone, found }] of candidates.entries()) {
    const bytes = then[index];
    const named =
      bytes &&
      (await naming([{ file: sourceFileFromBytes(found, bytes) }], [sought(gone.record)], m.sandbox));
    if (named?.some((n) => n.sandbox === m.sandbox && n.key === m.key)) continue;
    // A file that cannot be read as text now and held the key then was there all along too.
    if (m.by === 'text' && bytes !== undefined && holdsKey(Buffer.from(bytes).toString('latin1'), m.key))
      continue;
    moved.push({ named: m, file: path.resolve(top, m.file), dir: gone.at.from });
  }
  // What git would have had the search read and it cannot (read-moved.ts Unread) may name the
  // records: held, never deleted, and not looked for at the commit compared (git is asked by name).
  for (const m of unreadNaming(top, grepped?.unread ?? [], records)) {
    const gone = removed.get(recordId(m.sandbox, m.key));
    if (gone === undefined || !elsewhere(m.file)) continue;
    moved.push({ named: m, file: path.resolve(top, m.file), dir: gone.at.from });
  }
  return moved;
}

/**
 * What the files of `unread` (from `top`) may name of `records` (`by: 'text'`, fault
 * `inaccessible`): a name that is not UTF-8 is read by its bytes (fs takes them), and names those
 * whose key or name its text may hold (keyPattern); every record when it cannot be read, or git
 * could not read it (what it names cannot be known). A file gone since git named it names none.
 * Held, not read as the manifest it may be: a plan of its directory refuses such a name too
 * (source/unreadable), so "cannot be read" is what to fix, where "moved" sends the user there.
 */
function unreadNaming(top: string, unread: readonly Unread[], records: readonly Sought[]): Named[] {
  const found: Named[] = [];
  for (const u of unread) {
    let text: string | undefined;
    let detail: string;
    if (u.by === 'name') {
      detail = 'its name is not UTF-8 text';
      try {
        text = headOf(Buffer.concat([Buffer.from(top + path.sep), u.raw]));
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') continue;
        detail = `${detail}; ${(cause as Error).message}`;
      }
    } else {
      detail = `git grep: ${u.detail}`;
    }
    for (const r of records) {
      if (text !== undefined && !keyPattern([r.key], r.name === undefined ? [] : [r.name]).test(text))
        continue;
      found.push({ sandbox: r.sandbox, key: r.key, file: u.file, by: 'text', fault: 'inaccessible', detail });
    }
  }
  return found;
}

/** The first SCANNED_BYTES of the file at `absolute` (a path in bytes), decoded as UTF-8 as it may be. */
function headOf(absolute: Buffer): string {
  const fd = openSync(absolute, 'r');
  try {
    const head = Buffer.allocUnsafe(Math.min(fstatSync(fd).size, SCANNED_BYTES));
    let length = 0;
    while (length < head.length) {
      const read = readSync(fd, head, length, head.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return head.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * What findManifestsElsewhere finds, and the copies among the records the plan would take over
 * from the directory they were applied from (`takenOver`: copiesBeside).
 */
export async function findManifestsElsewhere(
  records: readonly AudienceRecord[],
  source: ElsewhereSource,
  recorded: readonly RecordPlace[] = [],
  repointed: readonly AudienceRecord[] = [],
  takenOver: readonly AudienceRecord[] = [],
): Promise<ManifestElsewhere[]> {
  const copies = takenOver.length === 0 ? [] : await copiesBeside(takenOver, source);
  const found = await namedElsewhere(records, source, recorded, repointed);
  return copies.length === 0 ? found : [...copies, ...found];
}

/**
 * The records of `takenOver` (their manifest read, their directory another: `apply us` where they
 * were applied from `eu`) whose file in that directory, beside the directory given (neither it
 * nor above or below it), still names them in their sandbox: a copy, no move (`copied`).
 */
async function copiesBeside(
  takenOver: readonly AudienceRecord[],
  source: ElsewhereSource,
): Promise<Copied[]> {
  const root = path.resolve(source.dir);
  const show = source.show ?? ((absolute: string) => path.relative(root, absolute).split(path.sep).join('/'));
  const realTop = source.top === undefined ? gitTop(realDirectory(root)) : realDirectory(source.top);
  const here = realTop === undefined ? root : realDirectory(root);
  const maxBytes = source.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const copies: Copied[] = [];
  for (const record of takenOver) {
    const at = besideRoot(record, here, realTop);
    const file = at === undefined ? undefined : besideFile(at);
    if (at === undefined || file === undefined) continue;
    const key = { ...sought(record), name: undefined };
    const named = await naming([read(at.manifestFile, file, maxBytes)], [key], record.sandbox);
    if (!named.some((m) => m.by === 'key' && m.sandbox === record.sandbox)) continue;
    const { sandbox } = record;
    copies.push({ kind: 'copied', sandbox, key: record.key, file: show(file), dir: show(at.from) });
  }
  return copies;
}

/**
 * Looks, for the records a plan would remove, for manifests that plan did not read and that
 * still name their keys (see ManifestElsewhere): under `dir`, in the files --include/--exclude
 * left out; above `dir`, at each record's file relative to a directory above it (the
 * records keep their file relative to the directory they were applied from), and anywhere in
 * the directory they were applied from (a file moved, or a record that names none): the one
 * where a removed record's file was found, else the one the records the plan matched say
 * (`recorded`, the other records: see appliedFrom). That directory, when known and no manifest
 * found above says it, is found too (`applied-from`).
 * `repointed`: records the plan would re-point from `<prefix>/<f>` to `<f>` (recordedBelow in
 * src/plan/applied-from.ts); with no removal, only whether they say that directory is looked at.
 * Called only with removals or re-pointed records: a plan with neither reads nothing more.
 */
async function namedElsewhere(
  records: readonly AudienceRecord[],
  source: ElsewhereSource,
  recorded: readonly RecordPlace[],
  repointed: readonly AudienceRecord[],
): Promise<ManifestElsewhere[]> {
  if (records.length === 0 && repointed.length === 0) return [];
  const root = path.resolve(source.dir);
  const show = source.show ?? ((absolute: string) => path.relative(root, absolute).split(path.sep).join('/'));
  const maxBytes = source.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // The directory given as the records applied from `dir` name its files (`loyalty`).
  const below = (dir: string) => path.relative(dir, root).split(path.sep).join('/');
  const found: ManifestElsewhere[] = [];
  // A record found in its own sandbox is not looked for further.
  const settled = new Set<string>();
  const add = (m: NamedElsewhere) => {
    found.push(m);
    settled.add(`${m.sandbox}/${m.key}`);
  };
  const open = (record: AudienceRecord) => !settled.has(`${record.sandbox}/${record.key}`);

  // Under the directory given, the files the plan did not read: those --include/--exclude left
  // out, and those the default selection leaves out (`b.YAML`, `.archive/b.yaml`): only these
  // are read, few or none. Those the plan's listing saw, when it hands them over.
  if (records.length > 0) {
    const covered = fileSelector(source);
    const files = source.unread
      ? readLeftOut(source.unread, maxBytes)
      : readLeftOutTree(root, (relative) => !covered(relative), maxBytes);
    for (const m of await naming(files, records.map(sought), source.defaultSandbox)) {
      add(
        foundAt(m, m.file, m.file, () => ({
          kind: 'out-of-scope',
          sandbox: m.sandbox,
          key: m.key,
          file: m.file,
        })),
      );
    }
  }
  if (source.above === false) {
    if (source.baseCommit !== undefined && records.some(open)) {
      const base = source.baseCommit;
      for (const m of await movedFromBase(records.filter(open), root, base, show, maxBytes)) add(m);
      found.push(...(await removedSinceBase(records.filter(open), root, base)));
    }
    return found;
  }
  if (!records.some(open) && repointed.length === 0) return found;

  // Records applied from another directory (apply teams/web, their sourceRoot teams/mkt): held
  // while their file there still names them in their sandbox (as that directory was read).
  // In a git work tree, its real path (as read-source-root.ts records it); outside, as given.
  const realTop = source.top === undefined ? gitTop(realDirectory(root)) : realDirectory(source.top);
  const here = realTop === undefined ? root : realDirectory(root);
  // Records whose file is no longer in the directory beside this one they were applied from.
  const gone = new Map<string, Gone>();
  const removing = new Set(records.map((record) => recordId(record.sandbox, record.key)));
  for (const record of records) {
    const unreachable = realTop === undefined ? unreachableFile(record, source.sourceRoot) : undefined;
    if (unreachable !== undefined && open(record)) {
      add({ kind: 'unreachable', sandbox: record.sandbox, key: record.key, ...unreachable });
      continue;
    }
    const mine = open(record) && realTop !== undefined ? ownGone(record, here, realTop) : undefined;
    if (mine !== undefined) {
      gone.set(recordId(record.sandbox, record.key), mine);
      continue;
    }
    const at = open(record) ? besideRoot(record, here, realTop) : undefined;
    if (at === undefined) continue;
    const file = besideFile(at);
    if (file === undefined) {
      const absolute = path.resolve(at.from, at.manifestFile);
      const relative = realTop === undefined ? absolute : fromTop(realTop, absolute);
      gone.set(recordId(record.sandbox, record.key), { record, at, file: relative });
      continue;
    }
    const text = read(at.manifestFile, file, maxBytes);
    // A file may name the key in several sandboxes (one document each): the record's own holds it.
    const named = (await naming([text], [sought(record)], record.sandbox)).find(
      (m) => m.sandbox === record.sandbox,
    );
    if (named === undefined) {
      // Its file there, holding no manifest at all: held, as a plan of that directory holds it.
      const how = await withoutManifest(text, record.sandbox);
      if (how !== undefined) {
        const { sandbox, key } = record;
        add({ kind: 'emptied', sandbox, key, file: show(file), dir: show(at.from), how });
      }
      continue;
    }
    add(
      elsewhereOf(named, show(file), () => ({
        kind: 'beside',
        sandbox: named.sandbox,
        key: named.key,
        file: show(file),
        dir: show(at.from),
      })),
    );
  }
  // Outside a git work tree nothing shows this plan's directory removing a file of another one
  // (gone from there, or that directory with it: not on this machine, another team's container
  // path), which this plan did not read: held, unless the directory given is a copy of it.
  if (gone.size > 0 && realTop === undefined) {
    const copies = new Map<string, boolean>();
    const kept = recorded.filter((record) => !removing.has(recordId(record.sandbox, record.key)));
    for (const { record, at } of gone.values()) {
      if (!open(record)) continue;
      let copy = copies.get(at.root);
      if (copy === undefined) {
        copy = await readsCopyOf(root, at.root, kept, source.defaultSandbox, maxBytes);
        copies.set(at.root, copy);
      }
      if (copy) continue;
      const { sandbox, key } = record;
      add({ kind: 'unplaced', sandbox, key, file: recordedFile(at), dir: at.root, why: 'no-work-tree' });
    }
  }
  // Their file gone from there: removed only when git shows this work tree removing it since the
  // commit the record was applied from (read-moved.ts placeRemovals), else held (`unplaced`:
  // another repository's, sharing the store; one never committed; a shallow clone's); and moved
  // (`git mv teams/mkt teams/marketing`, that directory not applied yet), so held, while a
  // manifest elsewhere in the work tree (the directory given aside, which the plan read) names
  // the key in the record's sandbox, unless that commit held it naming the key already.
  if (gone.size > 0 && realTop !== undefined) {
    const top = realTop;
    // Not checked out here (a sparse checkout): in the repository still, so not removed.
    const sparse = await notCheckedOut(
      top,
      [...gone.values()].map((g) => g.file),
    );
    if (!(sparse instanceof Set)) {
      // git cannot say which files a sparse checkout leaves out: none is taken for removed (but
      // those of the directory given, removed from what the plan read, as without git).
      for (const { record, at } of gone.values()) {
        if (isInside(here, at.from)) continue;
        const { sandbox, key } = record;
        const detail = sparse.failed;
        add({
          kind: 'unplaced',
          sandbox,
          key,
          file: recordedFile(at),
          dir: at.root,
          why: 'git-failed',
          detail,
        });
      }
      gone.clear();
    }
    for (const [id, { record, at, file }] of gone) {
      if (!(sparse instanceof Set && sparse.has(file))) continue;
      gone.delete(id);
      const { sandbox, key } = record;
      add({ kind: 'sparse', sandbox, key, file: recordedFile(at), dir: at.root });
    }
    const list = [...gone.values()];
    const placed = await placeRemovals(
      top,
      list.map((g) => ({ file: g.file, commit: recordRevision(g.record)?.commit })),
    );
    // Removed by this work tree: moved (held) unless the file found was there then. Not placed:
    // held either way, and a file found says where it is now (looked for while few: a store
    // shared with another repository may hold thousands, and git grep slows with each key).
    const looked = new Map<string, Gone & { compareAt: string | undefined }>();
    // Which commit removed each (none: not committed yet), for its removal step to say; no hold.
    list.forEach((g, index) => {
      const place = placed[index];
      if (place?.removed !== true) return;
      const { sandbox, key } = g.record;
      found.push({ kind: 'removed-in', sandbox, key, commit: place.by });
    });
    // One of the directory given that git does not place is removed, as the plan read it;
    // unless it names a repository this work tree may not be (ofUnconfirmedRepository).
    const unplaced = list.flatMap((g, index) => {
      const place = placed[index];
      const id = recordId(g.record.sandbox, g.record.key);
      if (place?.removed === true) looked.set(id, { ...g, compareAt: place.compareAt });
      if (place === undefined || place.removed) return [];
      const why = unplacedWhy(place);
      if (!isInside(here, g.at.from)) return [{ g, id, why }];
      const unconfirmed = ofUnconfirmedRepository(g.record, source);
      if (unconfirmed === undefined) return [];
      return [{ g, id, why: why.why === 'git-failed' ? why : unconfirmed }];
    });
    if (unplaced.length <= UNPLACED_LOOKED_FOR) {
      for (const { g, id } of unplaced) looked.set(id, { ...g, compareAt: undefined });
    }
    for (const { named, file, dir } of await movedManifests(top, here, looked, maxBytes)) {
      const { sandbox, key } = named;
      if (settled.has(recordId(sandbox, key))) continue;
      add(
        foundAt(named, fromShared(here, file), show(file), () => movedTo(named, file, dir, here, top, show)),
      );
    }
    for (const { g, why } of unplaced) {
      if (!open(g.record)) continue;
      const { sandbox, key } = g.record;
      add({ kind: 'unplaced', sandbox, key, file: recordedFile(g.at), dir: g.at.root, ...why });
    }
  }

  let anchor: string | undefined;
  const above = directoriesAbove(root, source.top ?? gitTop(root));
  for (const record of records) {
    const file = record.manifestFile;
    if (file === undefined || !open(record)) continue;
    for (const dir of above) {
      const absolute = path.resolve(dir, file);
      // Under the directory given, the plan read it (or the filters left it out, looked at above).
      if (isInside(root, absolute) || !isInside(dir, absolute) || !isFile(absolute)) continue;
      const text = read(file, absolute, maxBytes);
      // Its key first (in any sandbox), then its name under another key, then a file that may name it.
      const order = { key: 0, name: 1, text: 2 };
      const [named] = (await naming([text], [sought(record)], source.defaultSandbox)).sort(
        (a, b) => order[a.by] - order[b.by],
      );
      if (!named) continue;
      add(
        elsewhereOf(named, show(absolute), () => ({
          kind: 'above',
          sandbox: named.sandbox,
          key: named.key,
          file: show(absolute),
          dir: show(dir),
          under: below(dir),
        })),
      );
      anchor ??= dir;
      break;
    }
  }
  const rest = records.filter(open);
  if (anchor === undefined) {
    // Removals still open: any record the plan did not remove may say it; else only those it re-points.
    const removed = new Set(records.map((record) => recordId(record.sandbox, record.key)));
    const others =
      rest.length > 0
        ? recorded.filter((record) => !removed.has(recordId(record.sandbox, record.key)))
        : repointed;
    anchor = await appliedFrom(root, above, others, source, maxBytes);
  }
  if (anchor === undefined) return found;
  const from = anchor;
  // The directory given is below the one the records were applied from: what `apply <anchor>`
  // would read decides for the other records too, and what it would hold: a file there of any
  // name that claims to be a manifest (`.archive/gold.yaml.bak`, `old/gold.bak`; review scope-43,
  // H-4), as readLeftOut takes beyond the directory.
  if (rest.length > 0) {
    const outside = (relative: string) => !isInside(root, path.resolve(from, relative));
    for (const m of await naming(
      readLeftOutTree(from, outside, maxBytes),
      rest.map(sought),
      source.defaultSandbox,
    )) {
      const absolute = path.resolve(from, m.file);
      add(
        foundAt(m, m.file, show(absolute), () => ({
          kind: 'above',
          sandbox: m.sandbox,
          key: m.key,
          file: show(absolute),
          dir: show(from),
          under: below(from),
        })),
      );
    }
  }
  // Nothing found above says that directory: the plan is told it all the same, so that it keeps
  // the records' files relative to it and re-points none to the directory given.
  if (!found.some((m) => m.kind === 'above')) {
    found.push({ kind: 'applied-from', dir: show(from), under: below(from) });
  }
  return found;
}

/**
 * For a `--base` plan, whose records come from `root` at `commit`: those whose file is gone from
 * `root` and that a manifest elsewhere in the work tree names (movedManifests, compared at
 * `commit`), held as moved out of it, as findManifestsElsewhere holds an apply's own.
 */
/**
 * For a `--base` plan, which commit since the base removed each of `records`' files from `root`
 * (none: the removal is not committed yet), where git shows it (placeRemovals): said by its
 * removal step, as an apply's are. No hold.
 */
async function removedSinceBase(
  records: readonly AudienceRecord[],
  root: string,
  commit: string,
): Promise<RemovedIn[]> {
  const top = gitTop(realDirectory(root));
  if (top === undefined) return [];
  const here = realDirectory(root);
  const gone = records.flatMap((record) => {
    const { manifestFile } = record;
    if (manifestFile === undefined) return [];
    const absolute = path.resolve(here, manifestFile);
    if (!isInside(here, absolute) || isFile(absolute)) return [];
    return [{ record, file: fromTop(top, absolute) }];
  });
  const placed = await placeRemovals(
    top,
    gone.map((g) => ({ file: g.file, commit })),
  );
  return gone.flatMap(({ record }, index) => {
    const place = placed[index];
    if (place?.removed !== true) return [];
    return [{ kind: 'removed-in' as const, sandbox: record.sandbox, key: record.key, commit: place.by }];
  });
}

async function movedFromBase(
  records: readonly AudienceRecord[],
  root: string,
  commit: string,
  show: (absolute: string) => string,
  maxBytes: number,
): Promise<NamedElsewhere[]> {
  const top = gitTop(realDirectory(root));
  if (top === undefined) return [];
  const here = realDirectory(root);
  const gone = new Map<string, Gone & { compareAt: string | undefined }>();
  for (const record of records) {
    const { manifestFile } = record;
    if (manifestFile === undefined) continue;
    const absolute = path.resolve(here, manifestFile);
    if (!isInside(here, absolute) || isFile(absolute)) continue;
    const at = { from: here, root: fromTop(top, here) || '.', manifestFile };
    const file = fromTop(top, absolute);
    gone.set(recordId(record.sandbox, record.key), { record, at, file, compareAt: commit });
  }
  return (await movedManifests(top, here, gone, maxBytes)).map(({ named, file }) =>
    foundAt(named, fromShared(here, file), show(file), () => movedTo(named, file, here, here, top, show)),
  );
}
