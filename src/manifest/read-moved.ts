import { isUtf8 } from 'node:buffer';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Unplaced } from '../plan/elsewhere.js';
import type { CommitRelation } from '../plan/older-checkout.js';
import { commitRelations } from '../source/git-revision.js';
import { git, gitBytes, type GitAnswer } from '../source/git-run.js';
import { readOnlyIfClaimed } from './read-left-out.js';

// What git says of a record's file gone from the directory it was applied from (beside the one
// planned), and of the files elsewhere in the work tree that name its key: whether this work tree
// removed it since it was applied, and whether those files were there, naming the key, when it
// was (src/manifest/read-elsewhere.ts, kinds `moved`, `unplaced` and `sparse`).

/** One line per name, as git reads lists from its standard input: a name with a line break has none. */
export function listable(name: string): boolean {
  return name !== '' && !/[\n\r\0]/.test(name);
}

/** Pathspecs naming `files` as they are (no glob, no magic). */
const literal = (files: readonly string[]) => files.map((file) => `:(literal)${file}`);

/**
 * The `*.yaml` and `*.yml` files (MANIFEST_NAMES) under `top` (paths from it, `/`-separated) whose text holds one
 * of `keys`, one of `names` in any ASCII case (a piece of a recorded audience name, spec.name: a
 * manifest renamed as it moved names its audience so), or a backslash (a key spelled with an
 * escape in a double-quoted scalar, `"g\x6Fld"`, is the key once parsed: the caller's parse
 * decides), found by `git grep`, as bytes (a file too large or not UTF-8 too): in a work tree,
 * the files git tracks (a folder .gitignore names included, for a file added with --force) and
 * those it does not but would; in a directory without `.git` (the controller's checkout: every
 * file committed), every file; of those the search reads only when they claim to be a manifest
 * (readOnlyIfClaimed: `b.json`, `b.yaml.bak`), only those holding `audiencectl/` (or `audiencectl\/`) too (CLAIMED).
 * Undefined when git cannot say (no git, a key it cannot be
 * given): the caller reads the tree itself. `leftOut`: a directory under `top` (a path from it)
 * none of whose files is wanted (git matches it as a whole path segment: `m` leaves out `m/a.yaml`,
 * not `m2/a.yaml` nor `m.yaml`). filesAndOthersNaming's `manifests`.
 */
export async function filesNaming(
  top: string,
  keys: ReadonlySet<string>,
  names: ReadonlySet<string> = new Set(),
  leftOut?: string,
): Promise<string[] | undefined> {
  return (await filesAndOthersNaming(top, keys, names, leftOut))?.manifests;
}

/**
 * filesNaming's look at the files of every other name (`old/gold.ymal`, `old/gold.bak`): those of
 * them whose text claims to be an audiencectl manifest are one renamed as it moved, which holds
 * the removal as one moved under a manifest's name does (read-elsewhere.ts readLeftOut; review
 * scope-42, H-1). As filesNaming, those holding `audiencectl/` only (CLAIMED), but for a name
 * read as a manifest's (`b.yaml `: readOnlyIfClaimed). Undefined when git cannot say.
 * filesAndOthersNaming's `others`.
 */
export async function otherFilesNaming(
  top: string,
  keys: ReadonlySet<string>,
  names: ReadonlySet<string> = new Set(),
  leftOut?: string,
): Promise<string[] | undefined> {
  return (await filesAndOthersNaming(top, keys, names, leftOut))?.others;
}

/**
 * The files naming a key, each sorted: those MANIFEST_NAMES matches (filesNaming), and the others
 * (otherFilesNaming); and those the search would have read and cannot (`unread`).
 */
export type FilesNaming = { manifests: string[]; others: string[]; unread: Unread[] };

/**
 * A file git would have the search read that it cannot read (it may hold a removed manifest:
 * its removal is held, never deleted). `name`: a name git gave in bytes that are not UTF-8
 * (`raw`, from the top: fs reads it by them; `file`, those bytes decoded, shown); `grep`: a file
 * (or an untracked folder) git could not read itself, as its SKIPPED line says (`detail`; `file`
 * from its quotes, or the top), which git skips and answers without.
 */
export type Unread = { by: 'name'; file: string; raw: Buffer } | { by: 'grep'; file: string; detail: string };

/**
 * filesNaming and otherFilesNaming at once, from one look of git at each file: four `git grep`
 * in a work tree (two outside one) where the two asked apart took eight, and the files of a name
 * read only when they claim (a directory store's 10,000 records) read by git once, not twice.
 * The git repositories inside the work tree (nestedRepositories), which git's own look skips,
 * are looked through the same way, each by its own git.
 */
export async function filesAndOthersNaming(
  top: string,
  keys: ReadonlySet<string>,
  names: ReadonlySet<string> = new Set(),
  leftOut?: string,
): Promise<FilesNaming | undefined> {
  if (![...keys, ...names].every(listable)) return undefined;
  const found = await searchTree(top, keys, names, leftOut);
  return 'failed' in found ? undefined : found;
}

/** filesAndOthersNaming of one work tree and those inside it; `failed`: why git could not say. */
async function searchTree(
  top: string,
  keys: ReadonlySet<string>,
  names: ReadonlySet<string>,
  leftOut: string | undefined,
): Promise<FilesNaming | { failed: string }> {
  // The directory the caller reads itself (the one planned), left out by git: it would name
  // each of its files (thousands, all read by git and filtered out after) for a common word.
  const without = leftOut === undefined ? [] : [`:(exclude,literal)${leftOut}`];
  // One fixed string a line (-F -f -): the keys, the names (any case: -i), and a backslash.
  const patterns = [...keys, ...names, '\\'].map((pattern) => `${pattern}\n`).join('');
  // `git grep` exits 1 when nothing matches. `--untracked` leaves out tracked files that a
  // .gitignore names, so the tracked ones are asked for apart.
  // As bytes: a name that is not UTF-8 is no name once decoded (Unread).
  const grep = (where: string[], matching: string[], pathspecs: readonly string[], input: string) =>
    gitBytes(top, ['grep', ...where, '-l', '-z', ...matching, '--', ...pathspecs, ...without], input, 1);
  const workTree = existsSync(path.join(top, '.git'));
  const wheres = workTree ? [[], ['--untracked']] : [['--no-index']];
  // The files that claim first, then those naming a key among the files the search may take:
  // one that claims, or one whose name it reads without a claim (readOnlyIfClaimed). Apart,
  // not one grep of both (--all-match): each stops at a file's first line that answers, where
  // one of both reads every line of every file (a 10 MB cache: a fifth of a second). In that
  // order, not at once: a file read only when it claims (a store's records, naming every key
  // and name) is then read by git for the claim alone.
  const [claims, inside] = await Promise.all([
    Promise.all(wheres.map((where) => grep(where, ['-F', ...CLAIMED.flatMap((c) => ['-e', c])], [], ''))),
    // Outside a work tree (--no-index) git reads every folder, a repository's too.
    workTree ? nestedRepositories(top, without) : [],
  ]);
  const claimed = filesOf(claims);
  if ('failed' in claimed) return claimed;
  if ('failed' in inside) return inside;
  // A claimant whose name is not UTF-8 has no name to ask git by: every file is asked then.
  const asked = claimed.raw.size > 0 ? [] : mayBeTaken(claimed.files);
  const named = filesOf(
    await Promise.all(wheres.map((where) => grep(where, ['-i', '-F', '-f', '-'], asked, patterns))),
  );
  if ('failed' in named) return named;
  const taken = [...named.files].filter((file) => claimed.files.has(file) || !readOnlyIfClaimed(file)).sort();
  // A name not UTF-8 that claims, or is one the search reads without a claim, and names a key.
  const unreadNames = [...named.raw].filter(([file]) => claimed.raw.has(file) || !readOnlyIfClaimed(file));
  const found: FilesNaming = {
    manifests: taken.filter(manifestNamed),
    others: taken.filter((file) => !manifestNamed(file)),
    unread: [
      ...unreadNames.map(([file, raw]): Unread => ({ by: 'name', file, raw })),
      ...[...new Set([...claimed.errors, ...named.errors])].map(grepError),
    ],
  };
  const within = await Promise.all(
    inside.map((folder) => searchTree(path.join(top, folder), keys, names, undefined)),
  );
  inside.forEach((folder, index) => addInside(found, folder, within[index]!));
  return found;
}

/**
 * What the search of a git repository inside the work tree (`folder`, from its top) found,
 * added to `found` by their paths from the top; a repository git could not search may hold a
 * manifest moved into it: the folder is unread (held), never taken for holding none.
 */
function addInside(found: FilesNaming, folder: string, inner: FilesNaming | { failed: string }): void {
  if ('failed' in inner) {
    const detail = `could not search '${folder}', a git repository inside the work tree: ${inner.failed}`;
    found.unread.push({ by: 'grep', file: folder, detail });
    return;
  }
  const under = (file: string) => `${folder}/${file}`;
  found.manifests = [...found.manifests, ...inner.manifests.map(under)].sort();
  found.others = [...found.others, ...inner.others.map(under)].sort();
  for (const u of inner.unread) {
    if (u.by === 'name')
      found.unread.push({
        ...u,
        file: under(u.file),
        raw: Buffer.concat([Buffer.from(`${folder}/`), u.raw]),
      });
    else found.unread.push({ ...u, file: u.file === '.' ? folder : under(u.file) });
  }
}

/**
 * The git repositories inside the work tree `top` (paths from it) that `git grep` does not look
 * into: those not checked in (`other/` with a `.git` of its own, `git init`, a clone, a
 * `git worktree add` there; what `git ls-files --others` lists as a folder) and the checked-out
 * submodules (gitlinks, mode 160000, with a `.git` in their folder). Ignored ones aside, as
 * every ignored path is. Nested ones are found by each repository's own look.
 */
async function nestedRepositories(
  top: string,
  without: readonly string[],
): Promise<string[] | { failed: string }> {
  const args = ['ls-files', '-z', '--stage', '--others', '--exclude-standard', '--', ...without];
  const answer = await gitBytes(top, args, '');
  if (!answer.ok) return { failed: answer.why };
  const found: string[] = [];
  for (const entry of answer.out.toString('utf8').split('\0')) {
    // `<name>/` untracked (a file's name never ends in `/`); `<mode> <object> <stage>\t<name>` tracked.
    const gitlink = /^160000 [0-9a-f]+ \d\t(.+)$/s.exec(entry)?.[1];
    if (entry.endsWith('/')) found.push(entry.slice(0, -1));
    else if (gitlink !== undefined && existsSync(path.join(top, gitlink, '.git'))) found.push(gitlink);
  }
  return found;
}

/**
 * What git grep prints of a file or folder it skips, and answers without: an `error:` (a file it
 * cannot read) and `warning: could not open directory` (an untracked folder it cannot list).
 */
const SKIPPED = /^(?:error:|warning: could not open directory)/;

/** A SKIPPED line of git grep's as Unread: the file or folder it names in quotes (else the top), and what git says. */
function grepError(line: string): Unread {
  const detail = line.replace(/^(?:error|warning):\s*/, '');
  return { by: 'grep', file: /'([^']+)'/.exec(detail)?.[1] ?? '.', detail };
}

/**
 * Pathspecs of the files the search may take once they name a key: every file with `.yaml` or
 * `.yml` in its path in any case (all that readOnlyIfClaimed takes without a claim, and more),
 * and the files that claim (`claimed`), by name. None (every file) for more of those than a
 * command is given at once (the caller asks none too for a name git gave in bytes that are not
 * UTF-8: as text it is no longer the name git knows).
 */
function mayBeTaken(claimed: ReadonlySet<string>): string[] {
  if (claimed.size > PATHS_AT_ONCE) return [];
  return [':(icase)*.yaml*', ':(icase)*.yml*', ...literal([...claimed])];
}

/**
 * What MANIFEST_NAMES matches, as git matches it (no glob magic: `*` takes `/` too; and a path
 * below one that is the pattern as written, `*.json/a.txt`), in ASCII case: a file
 * filesNaming returns, not otherFilesNaming.
 */
export function manifestNamed(file: string): boolean {
  return (
    /\.(?:ya?ml|ya?ml~|json)$|\.ya?ml\./i.test(file) || /^\*\.(?:ya?ml|ya?ml\.\*|ya?ml~|json)\//i.test(file)
  );
}

/**
 * What claimsOurs (read-left-out.ts) asks a file's text for, `apiVersion: audiencectl/` (or its
 * slash escaped, `audiencectl\/`), in part: the text is the file's bytes decoded (UTF-8, where no
 * other bytes decode to ASCII), so a file whose bytes hold neither never claims to be a
 * manifest, whatever else it holds. Either answers one grep (-e each).
 */
const CLAIMED = ['audiencectl/', 'audiencectl\\'];

/**
 * The files of grep answers (`-l -z`): `files`, their names UTF-8; `raw`, those whose names are
 * not, by their bytes decoded (U+FFFD for each that is not UTF-8: no name of a file, so git is
 * not asked by it); `errors`, git's SKIPPED lines (a file or folder it could not read).
 * `failed` when one could not be had.
 */
function filesOf(
  answers: ReadonlyArray<GitAnswer<Buffer>>,
): { files: Set<string>; raw: Map<string, Buffer>; errors: string[] } | { failed: string } {
  const files = new Set<string>();
  const raw = new Map<string, Buffer>();
  const errors: string[] = [];
  for (const answer of answers) {
    if (!answer.ok) return { failed: answer.why };
    for (const line of (answer.stderr ?? '').split('\n')) if (SKIPPED.test(line)) errors.push(line.trim());
    for (let at = 0; at < answer.out.length;) {
      const end = answer.out.indexOf(0, at);
      const bytes = answer.out.subarray(at, end === -1 ? answer.out.length : end);
      at = end === -1 ? answer.out.length : end + 1;
      if (bytes.length === 0) continue;
      const file = bytes.toString('utf8');
      if (isUtf8(bytes)) files.add(file);
      else raw.set(file, Buffer.from(bytes));
    }
  }
  return { files, raw, errors };
}

/**
 * The files a manifest may be in, as pathspecs: `*.yaml` and `*.yml` in any case (`b.YAML`, which
 * the default selection leaves out but holds a removal: src/source/file-filter.ts
 * unselectedByDefault); git's `*` takes dot folders and dotfiles too.
 */
export const MANIFEST_NAMES = [
  ':(icase)*.yaml',
  ':(icase)*.yml',
  // Renamed so that the default does not read them (file-filter.ts unselectedByDefault, `renamed`).
  ':(icase)*.yaml.*',
  ':(icase)*.yml.*',
  ':(icase)*.yaml~',
  ':(icase)*.yml~',
  ':(icase)*.json',
];

/** Paths given a git command at a time: thousands of long ones pass the system's limit (E2BIG). */
const PATHS_AT_ONCE = 500;

function inChunks<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let at = 0; at < items.length; at += PATHS_AT_ONCE) chunks.push(items.slice(at, at + PATHS_AT_ONCE));
  return chunks;
}

/**
 * Which of `paths` (from the top of the git work tree `top`) git keeps out of it, as a sparse
 * checkout does (its skip-worktree bit: `S` in `git ls-files -v`): files of the repository that
 * are not removed, only not here. None without `.git`; `failed` when git cannot say, which
 * must hold them all (such a file is at HEAD and not in the work tree, as a removal not
 * committed yet is).
 */
export async function notCheckedOut(
  top: string,
  paths: readonly string[],
): Promise<Set<string> | { failed: string }> {
  const asked = [...new Set(paths)].filter(listable);
  const out = new Set<string>();
  if (asked.length === 0 || !existsSync(path.join(top, '.git'))) return out;
  for (const chunk of inChunks(asked)) {
    const answer = await git(top, ['ls-files', '-v', '-z', '--', ...literal(chunk)], '');
    if (!answer.ok) return { failed: answer.why };
    // `<tag> <path>`: `S` skip-worktree, `s` that and assume-unchanged too.
    for (const entry of answer.out.split('\0')) if (/^[Ss] /.test(entry)) out.add(entry.slice(2));
  }
  return out;
}

/**
 * The blobs at `[commit, path]`, in order, read by one `git cat-file --batch`: undefined where
 * there is none (no such commit or path, a folder there, no commit given) or git could not
 * answer. A file found naming a key is read at the commit a record's file is compared at
 * (Placement.compareAt).
 */
export async function filesAt(
  top: string,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<Array<Buffer | undefined>> {
  const asked = pairs.map(([commit, file]) => (commit !== '' && listable(file) ? `${commit}:${file}` : ''));
  if (asked.every((name) => name === '')) return pairs.map(() => undefined);
  // One line a pair, so that answers stay in order: an unaskable pair asks for nothing there is.
  const input = asked.map((name) => `${name || '0'.repeat(40)}\n`).join('');
  const batch = await gitBytes(top, ['cat-file', '--batch'], input);
  const answer = batch.ok ? batch.out : undefined;
  const blobs: Array<Buffer | undefined> = [];
  let offset = 0;
  for (let index = 0; index < pairs.length; index++) {
    if (answer === undefined) {
      blobs.push(undefined);
      continue;
    }
    const eol = answer.indexOf(0x0a, offset);
    const header = answer.subarray(offset, eol === -1 ? answer.length : eol).toString();
    // `<object> <type> <size>` then the content and a line feed; `<name> missing` alone.
    const [, type = '', size = ''] = header.split(' ');
    if (eol === -1 || !/^\d+$/.test(size) || header.endsWith(' missing')) {
      blobs.push(undefined);
      offset = eol === -1 ? answer.length : eol + 1;
      continue;
    }
    const end = eol + 1 + Number(size);
    blobs.push(type === 'blob' && asked[index] !== '' ? answer.subarray(eol + 1, end) : undefined);
    offset = end + 1;
  }
  return blobs;
}

/** A record's file gone from where it was applied from: its path from the top, and the commit it was applied from. */
export type GoneFile = { file: string; commit: string | undefined };

/**
 * What git says of a gone file. `removed`: this work tree removed it since it was applied (not
 * committed yet, or in a commit after the one it was applied from); `compareAt` is the commit
 * whose files were there beside it (that one, when this clone has it); `by`, the newest commit
 * that removed it (undefined: its removal is not committed yet). Otherwise why not:
 * `not-removed` (git shows no such removal: another repository's file, sharing the store; one
 * never committed; one removed before a shallow clone's history begins), `no-history` (no `.git`:
 * a controller's checkout), `git-failed` (git could not be asked: `detail` says why).
 */
export type Placement =
  { removed: true; compareAt: string; by: string | undefined } | ({ removed: false } & Unplaced);

/** The paths of `files` removed by a commit of `range`, each with the newest such commit. */
async function removedIn(top: string, range: string, files: readonly string[]): Promise<Map<string, string>> {
  const removed = new Map<string, string>();
  if (files.length === 0) return removed;
  // `-m`: a merge that removes a file shows it (against its first parent, which held it).
  const args = ['log', '-m', '-z', '--format=%x01%H', '--name-only', '--diff-filter=D', '--no-renames'];
  for (const chunk of inChunks(files)) {
    // A chunk git cannot answer removes nothing: its files are held.
    const answer = await git(top, [...args, range, '--', ...literal(chunk)], '');
    if (!answer.ok) continue;
    for (const entry of answer.out.split('\x01')) {
      // `<commit>\0\n<path>\0<path>\0…`; newest first.
      const [commit, ...paths] = entry.split('\0').map((part) => part.replace(/^\n/, ''));
      if (!commit) continue;
      for (const file of paths) if (file !== '' && !removed.has(file)) removed.set(file, commit);
    }
  }
  return removed;
}

/**
 * Where each of `gone` stands (Placement), in order: one `cat-file` for the files still at HEAD
 * (a removal not committed yet, when not kept out by a sparse checkout: the caller asked
 * notCheckedOut first), the recorded commits placed against HEAD (commitRelations), and one
 * `git log` a range: `<commit>..HEAD` for a commit HEAD contains, HEAD's whole history for a
 * record without one, or one HEAD does not contain (the older-checkout check refuses applying
 * its removal). A commit this clone lacks (another repository's, a shallow clone's) places
 * nothing.
 */
export async function placeRemovals(top: string, gone: readonly GoneFile[]): Promise<Placement[]> {
  if (gone.length === 0) return [];
  if (!existsSync(path.join(top, '.git'))) return gone.map(() => ({ removed: false, why: 'no-history' }));
  const head = await git(top, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], '');
  if (!head.ok) {
    const detail = head.why.startsWith('git exited') ? 'the repository has no commit' : head.why;
    return gone.map(() => ({ removed: false, why: 'git-failed', detail }));
  }
  const commits = [...new Set(gone.flatMap((g) => (g.commit === undefined ? [] : [g.commit])))];
  const relations = await commitRelations(top, 'HEAD', commits).catch(
    () => new Map<string, CommitRelation>(),
  );
  const relation = (g: GoneFile) =>
    g.commit === undefined ? undefined : (relations.get(g.commit) ?? 'unknown');
  const atHead = await filesAt(
    top,
    gone.map((g) => ['HEAD', g.file] as const),
  );
  // The range each file's removal is looked for in; none for a commit this clone lacks.
  const rangeOf = (g: GoneFile) => {
    const r = relation(g);
    if (r === 'unknown' || r === 'absent') return undefined;
    return r === 'contained' ? `${g.commit}..HEAD` : 'HEAD';
  };
  const byRange = new Map<string, string[]>();
  gone.forEach((g, index) => {
    const range = rangeOf(g);
    if (atHead[index] !== undefined || range === undefined || !listable(g.file)) return;
    byRange.set(range, [...(byRange.get(range) ?? []), g.file]);
  });
  const removals = new Map<string, Map<string, string>>();
  for (const [range, files] of byRange) removals.set(range, await removedIn(top, range, [...new Set(files)]));
  return gone.map((g, index): Placement => {
    const r = relation(g);
    // The files beside it: at the commit it was applied from, when this clone has it.
    const applied = r === 'contained' || r === 'not-contained' ? g.commit : undefined;
    if (atHead[index] !== undefined) return { removed: true, compareAt: applied ?? 'HEAD', by: undefined };
    const range = rangeOf(g);
    const by = range === undefined ? undefined : removals.get(range)?.get(g.file);
    if (by === undefined) return { removed: false, why: 'not-removed' };
    return { removed: true, compareAt: applied ?? `${by}^`, by };
  });
}
