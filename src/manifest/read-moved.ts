import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

// What git says of a record's file gone from the directory it was applied from, and of the files
// elsewhere in the work tree that name its key: whether the file moved there, or they were there
// beside it all along (src/manifest/read-elsewhere.ts, kind `moved`).

/** What a git command printed, or undefined when it could not say (no git, no repository, exit > `ok`). */
function gitOutput(cwd: string, args: readonly string[], input: string, ok = 0): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) =>
      resolve(code !== null && code <= ok ? Buffer.concat(chunks).toString('utf8') : undefined),
    );
    // A git that exits early (no repository) is told by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** One line per name, as git reads lists from its standard input: a name with a line break has none. */
function listable(name: string): boolean {
  return name !== '' && !/[\n\r\0]/.test(name);
}

/**
 * The `*.yaml` and `*.yml` files under `top` (paths from it, `/`-separated) whose text holds one
 * of `keys`, found by one `git grep` (files git ignores left out; in a directory that is no
 * repository too: the controller's checkout). Undefined when git cannot say (no git, a key it
 * cannot be given): the caller reads the tree itself.
 */
export async function filesNaming(top: string, keys: ReadonlySet<string>): Promise<string[] | undefined> {
  if (![...keys].every(listable)) return undefined;
  const args = [
    'grep',
    '--no-index',
    '--exclude-standard',
    '-l',
    '-z',
    '-F',
    '-f',
    '-',
    '--',
    '*.yaml',
    '*.yml',
  ];
  // `git grep` exits 1 when nothing matches.
  const out = await gitOutput(top, args, [...keys].map((key) => `${key}\n`).join(''), 1);
  return out?.split('\0').filter((file) => file !== '');
}

/**
 * For each of `gone` (a file's path from the top of the git work tree `top`, absent from the
 * directory), the commit it was last in: HEAD when it is still committed there (removed but not
 * committed), else the parent of the commit that removed it. A path git cannot place (never
 * committed, or removed before a shallow clone's history) has none.
 */
export async function lastHolding(top: string, gone: readonly string[]): Promise<Map<string, string>> {
  const last = new Map<string, string>();
  const paths = [...new Set(gone)].filter(listable);
  // Only at the top of a work tree: a directory inside another repository (a controller's
  // checkout under a clone) would be answered from that one's history.
  if (paths.length === 0 || !existsSync(path.join(top, '.git'))) return last;
  const atHead = await present(
    top,
    paths.map((file) => ['HEAD', file] as const),
  );
  paths.forEach((file, index) => {
    if (atHead[index] === true) last.set(file, 'HEAD');
  });
  const removed = paths.filter((file) => !last.has(file));
  if (removed.length === 0) return last;
  // Newest first: the first commit that names a path is the one that removed it last.
  const log = await gitOutput(
    top,
    [
      'log',
      '-z',
      '--format=%x01%H',
      '--name-only',
      '--diff-filter=D',
      '--no-renames',
      'HEAD',
      '--',
      ...removed.map((file) => `:(literal)${file}`),
    ],
    '',
  );
  for (const entry of log?.split('\x01') ?? []) {
    // `<commit>\0\n<path>\0<path>\0…`
    const [commit, ...files] = entry.split('\0').map((part) => part.replace(/^\n/, ''));
    if (!commit) continue;
    for (const file of files) if (file !== '' && !last.has(file)) last.set(file, `${commit}^`);
  }
  return last;
}

/**
 * Whether each `[commit, path]` is a file at that commit, in order, asked of one `git cat-file
 * --batch-check`: undefined where git could not answer (read as unknown).
 */
async function present(
  top: string,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<Array<boolean | undefined>> {
  if (pairs.length === 0) return [];
  const input = pairs.map(([commit, file]) => `${commit}:${file}\n`).join('');
  const lines = (await gitOutput(top, ['cat-file', '--batch-check'], input))?.split('\n') ?? [];
  return pairs.map((_, index) => {
    const line = lines[index];
    // `<object> blob <size>`; `<commit>:<path> missing` (or `tree`: a folder there).
    if (line === undefined || line === '') return undefined;
    return /^[0-9a-f]+ blob \d+$/.test(line) || (line.endsWith(' missing') ? false : undefined);
  });
}

/**
 * Which of `paths` (from the top of the git work tree `top`) git keeps out of it, as a sparse
 * checkout does (its skip-worktree bit: `S` in `git ls-files -v`): files of the repository that
 * are not removed, only not here. None when git cannot say.
 */
export async function notCheckedOut(top: string, paths: readonly string[]): Promise<Set<string>> {
  const asked = [...new Set(paths)].filter(listable);
  if (asked.length === 0 || !existsSync(path.join(top, '.git'))) return new Set();
  const args = ['ls-files', '-v', '-z', '--', ...asked.map((file) => `:(literal)${file}`)];
  const out = (await gitOutput(top, args, '')) ?? '';
  // `<tag> <path>`: `S` skip-worktree, `s` that and assume-unchanged too.
  return new Set(out.split('\0').flatMap((entry) => (/^[Ss] /.test(entry) ? [entry.slice(2)] : [])));
}

/** A record's file gone from where it was applied from, and a file elsewhere that names its key. */
export type MoveCandidate = { gone: string; found: string };

/**
 * Which of `candidates` are no moves: the file found was in the commit the record's file was
 * last in, so it was beside it all along (another environment's copy, an example), and the
 * record's file was removed, not moved there. Paths are from `top`; a candidate git cannot place
 * is taken for a move (its removal held, as a move's is).
 */
export async function besideAllAlong(
  top: string,
  candidates: readonly MoveCandidate[],
  /** lastHolding of the candidates' `gone`. */
  last: ReadonlyMap<string, string>,
): Promise<Set<MoveCandidate>> {
  const beside = new Set<MoveCandidate>();
  const placed = candidates.flatMap((c) => {
    const commit = last.get(c.gone);
    return commit !== undefined && listable(c.found) ? [{ c, pair: [commit, c.found] as const }] : [];
  });
  const answers = await present(
    top,
    placed.map((p) => p.pair),
  );
  placed.forEach(({ c }, index) => {
    if (answers[index] === true) beside.add(c);
  });
  return beside;
}
