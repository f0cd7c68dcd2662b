import { statSync } from 'node:fs';
import path from 'node:path';
import type { ManifestElsewhere, NamedElsewhere } from '../plan/elsewhere.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord } from '../state/schema.js';
import { fileSelector, filtersGiven, type FileFilters } from '../source/file-filter.js';
import type { SourceFile } from './load.js';
import { isInside, listManifestFilesSync } from './read-dir.js';
import { DEFAULT_MAX_FILE_BYTES, readManifestFile } from './read-file.js';
import { gitTop, realDirectory } from './read-source-root.js';
import { filesAt, filesNaming, notCheckedOut, placeRemovals } from './read-moved.js';
import { sourceFileFromBytes } from './decode.js';
import { recordRevision } from '../plan/older-checkout.js';
import { rootDirectory } from './source-root.js';

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
};

/**
 * A pattern that matches a text that may name any of `keys`: one holding a key as written, or
 * a backslash, since a key may be spelled with an escape in a double-quoted scalar
 * (`"g\x6Fld"`, `"\u0067old"`, a `\` line break), which only the parse reads as the key
 * (keys are `[a-z0-9-]`: no other spelling, folding, quoting, reaches them). A superset: the
 * parse after it decides.
 */
function keyPattern(keys: Iterable<string>): RegExp {
  const escaped = [...keys].map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp([...escaped, '\\\\'].join('|'));
}

type Named = { sandbox: string; key: string; file: string };

/**
 * The manifests (and broken files the loader could read far enough to name) in `files`
 * that name one of `keys`. Only a file whose text may name a key (keyPattern) is parsed, and
 * the loader (zod, the YAML library) is loaded only then: a plan that removes a record whose
 * manifest is nowhere stays as light as one served by its caches.
 */
async function naming(
  files: readonly SourceFile[],
  keys: ReadonlySet<string>,
  defaultSandbox: string,
): Promise<Named[]> {
  const pattern = keyPattern(keys);
  const candidates = files.filter((file) => 'text' in file && pattern.test(file.text));
  if (candidates.length === 0) return [];
  const { loadManifests } = await import('./load.js');
  const loaded = loadManifests(candidates, { defaultSandbox });
  return [...loaded.manifests, ...loaded.held].filter((m) => keys.has(m.key));
}

/** The files under `root` that `select` keeps (paths relative to it), read; none when it cannot be listed. */
function readTree(root: string, select: (relative: string) => boolean, maxBytes: number): SourceFile[] {
  let listed;
  try {
    listed = listManifestFilesSync(root).found;
  } catch {
    // Nothing to say more than the plan says: a tree that cannot be listed holds nothing found.
    return [];
  }
  return listed
    .filter((file) => select(file.relative))
    .map((file) => readManifestFile(file.relative, file.absolute, maxBytes));
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
  others: readonly AudienceRecord[],
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
      const text = readManifestFile(relative, absolute, maxBytes);
      const named = await naming([text], new Set([record.key]), source.defaultSandbox);
      if (named.some((m) => m.sandbox === record.sandbox)) return dir;
    }
  }
  return undefined;
}

/** How many records git cannot place are looked for elsewhere (see movedManifests' caller). */
const UNPLACED_LOOKED_FOR = 100;

/** A record whose file is gone from the directory beside the one given it was applied from. */
type Gone = { record: AudienceRecord; at: Beside; file: string };

/** `absolute`'s path from `top`, `/`-separated, as git names it. */
function fromTop(top: string, absolute: string): string {
  return path.relative(top, absolute).split(path.sep).join('/');
}

/**
 * The manifests under `top` but not `here` that name, in its sandbox, the key of a record this
 * work tree removed (`removed`, by id, with the commit its file is compared at: read-moved.ts
 * placeRemovals), unless that commit held the same file naming it then (beside it all along:
 * another sandbox's copy). Files and directories are absolute. The files are found by one
 * `git grep` for the keys of those records only, else by reading the tree.
 */
async function movedManifests(
  top: string,
  here: string,
  removed: ReadonlyMap<string, Gone & { compareAt: string | undefined }>,
  source: ElsewhereSource,
  maxBytes: number,
): Promise<Array<{ kind: 'moved'; sandbox: string; key: string; file: string; dir: string }>> {
  if (removed.size === 0) return [];
  const keys = new Set([...removed.values()].map(({ record }) => record.key));
  const elsewhere = (relative: string) => !isInside(here, path.resolve(top, relative));
  const grepped = await filesNaming(top, keys);
  const selected = fileSelector({});
  const files =
    grepped === undefined
      ? readTree(top, elsewhere, maxBytes)
      : grepped
          .filter((relative) => selected(relative) && elsewhere(relative))
          .map((relative) => readManifestFile(relative, path.resolve(top, relative), maxBytes));
  // A file that names no sandbox is whichever sandbox its directory is applied to, which this
  // plan cannot know (teams/web's job may run with AEP_SANDBOX=dev, teams/mkt's with prod): it
  // is read with each removed record's sandbox in turn, and names the key in all of them.
  const candidates: Array<{ m: Named; gone: Gone & { compareAt: string | undefined }; found: string }> = [];
  for (const sandbox of new Set([...removed.values()].map(({ record }) => record.sandbox))) {
    for (const m of await naming(files, keys, sandbox)) {
      const gone = removed.get(recordId(m.sandbox, m.key));
      if (gone === undefined || m.sandbox !== sandbox) continue;
      candidates.push({ m, gone, found: fromTop(top, path.resolve(top, m.file)) });
    }
  }
  // A file was beside the record's all along when the commit it is compared at held it, naming
  // the key then too; with no such commit (git cannot place the removal), it moved there.
  const then = await filesAt(
    top,
    candidates.map((c) => [c.gone.compareAt ?? '', c.found] as const),
  );
  const moved: Array<{ kind: 'moved'; sandbox: string; key: string; file: string; dir: string }> = [];
  for (const [index, { m, gone, found }] of candidates.entries()) {
    const bytes = then[index];
    const named = bytes && (await naming([sourceFileFromBytes(found, bytes)], new Set([m.key]), m.sandbox));
    if (named?.some((n) => n.sandbox === m.sandbox)) continue;
    moved.push({
      kind: 'moved',
      sandbox: m.sandbox,
      key: m.key,
      file: path.resolve(top, m.file),
      dir: gone.at.from,
    });
  }
  return moved;
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
export async function findManifestsElsewhere(
  records: readonly AudienceRecord[],
  source: ElsewhereSource,
  recorded: readonly AudienceRecord[] = [],
  repointed: readonly AudienceRecord[] = [],
): Promise<ManifestElsewhere[]> {
  if (records.length === 0 && repointed.length === 0) return [];
  const root = path.resolve(source.dir);
  const show = source.show ?? ((absolute: string) => path.relative(root, absolute).split(path.sep).join('/'));
  const maxBytes = source.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // The directory given as the records applied from `dir` name its files (`loyalty`).
  const below = (dir: string) => path.relative(dir, root).split(path.sep).join('/');
  const found: ManifestElsewhere[] = [];
  const keys = new Set(records.map((record) => record.key));
  // A record found in its own sandbox is not looked for further.
  const settled = new Set<string>();
  const add = (m: NamedElsewhere) => {
    found.push(m);
    settled.add(`${m.sandbox}/${m.key}`);
  };
  const open = (record: AudienceRecord) => !settled.has(`${record.sandbox}/${record.key}`);

  if (records.length > 0 && filtersGiven(source).length > 0) {
    const covered = fileSelector(source);
    const files = readTree(root, (relative) => !covered(relative), maxBytes);
    for (const m of await naming(files, keys, source.defaultSandbox)) {
      add({ kind: 'out-of-scope', sandbox: m.sandbox, key: m.key, file: m.file });
    }
  }
  if (source.above === false || (!records.some(open) && repointed.length === 0)) return found;

  // Records applied from another directory (apply teams/web, their sourceRoot teams/mkt): held
  // while their file there still names them in their sandbox (as that directory was read).
  // In a git work tree, its real path (as read-source-root.ts records it); outside, as given.
  const realTop = source.top === undefined ? gitTop(realDirectory(root)) : realDirectory(source.top);
  const here = realTop === undefined ? root : realDirectory(root);
  // Records whose file is no longer in the directory beside this one they were applied from.
  const gone = new Map<string, Gone>();
  for (const record of records) {
    const unreachable = realTop === undefined ? unreachableFile(record, source.sourceRoot) : undefined;
    if (unreachable !== undefined && open(record)) {
      add({ kind: 'unreachable', sandbox: record.sandbox, key: record.key, ...unreachable });
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
    const text = readManifestFile(at.manifestFile, file, maxBytes);
    // A file may name the key in several sandboxes (one document each): the record's own holds it.
    const named = (await naming([text], new Set([record.key]), record.sandbox)).find(
      (m) => m.sandbox === record.sandbox,
    );
    if (named === undefined) continue;
    add({
      kind: 'beside',
      sandbox: named.sandbox,
      key: named.key,
      file: show(file),
      dir: show(at.from),
    });
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
      // git cannot say which files a sparse checkout leaves out: none is taken for removed.
      for (const { record, at } of gone.values()) {
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
    const unplaced = list.flatMap((g, index) => {
      const place = placed[index];
      const id = recordId(g.record.sandbox, g.record.key);
      if (place?.removed === true) looked.set(id, { ...g, compareAt: place.compareAt });
      return place === undefined || place.removed ? [] : [{ g, id, place }];
    });
    if (unplaced.length <= UNPLACED_LOOKED_FOR) {
      for (const { g, id } of unplaced) looked.set(id, { ...g, compareAt: undefined });
    }
    for (const m of await movedManifests(top, here, looked, source, maxBytes)) {
      if (settled.has(recordId(m.sandbox, m.key))) continue;
      add({ ...m, file: show(m.file), dir: show(m.dir) });
    }
    for (const { g, place } of unplaced) {
      if (!open(g.record)) continue;
      const why = place.why === 'git-failed' ? { why: place.why, detail: place.detail } : { why: place.why };
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
      const text = readManifestFile(file, absolute, maxBytes);
      const [named] = await naming([text], new Set([record.key]), source.defaultSandbox);
      if (!named) continue;
      add({
        kind: 'above',
        sandbox: named.sandbox,
        key: named.key,
        file: show(absolute),
        dir: show(dir),
        under: below(dir),
      });
      anchor ??= dir;
      break;
    }
  }
  const rest = new Set(records.filter(open).map((record) => record.key));
  if (anchor === undefined) {
    // Removals still open: any record the plan did not remove may say it; else only those it re-points.
    const removed = new Set(records.map((record) => recordId(record.sandbox, record.key)));
    const others =
      rest.size > 0
        ? recorded.filter((record) => !removed.has(recordId(record.sandbox, record.key)))
        : repointed;
    anchor = await appliedFrom(root, above, others, source, maxBytes);
  }
  if (anchor === undefined) return found;
  const from = anchor;
  // The directory given is below the one the records were applied from: what `apply <anchor>`
  // would read decides for the other records too.
  if (rest.size > 0) {
    const outside = (relative: string) => !isInside(root, path.resolve(from, relative));
    for (const m of await naming(readTree(from, outside, maxBytes), rest, source.defaultSandbox)) {
      const absolute = path.resolve(from, m.file);
      add({
        kind: 'above',
        sandbox: m.sandbox,
        key: m.key,
        file: show(absolute),
        dir: show(from),
        under: below(from),
      });
    }
  }
  // Nothing found above says that directory: the plan is told it all the same, so that it keeps
  // the records' files relative to it and re-points none to the directory given.
  if (!found.some((m) => m.kind === 'above')) {
    found.push({ kind: 'applied-from', dir: show(from), under: below(from) });
  }
  return found;
}
