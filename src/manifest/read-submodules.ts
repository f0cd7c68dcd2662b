import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gitTop, realDirectory } from './read-source-root.js';

// Git submodules that are not checked out under a directory read: a plain `git clone` (no
// --recurse-submodules, as CI checkouts do by default) and `git submodule deinit` leave a
// submodule's folder empty. Read as it stands, the folder says its manifests were removed; it
// is a folder that was not read, as a link that is not followed is (read-dir.ts).
// So is a submodule checked out at another commit than the work tree's index records for it
// (`stale`: a plain `git pull` of the superproject moves the gitlink, not the submodule's
// checkout): read, its older manifests PATCHed back and deleted what the newer commit added,
// while the superproject's HEAD, the commit the older-checkout guard compares, was the one
// applied.

/** A submodule whose folder has no checkout (or a stale one), seen from the directory read. */
export type UncheckedSubmodule = {
  /** Its folder from the directory read (`/`-separated); `''`: the directory read itself. */
  relative: string;
  /** Its path from the top of the work tree (or checkout) whose `.gitmodules` names it. */
  fromTop: string;
  /** True in a checkout without `.git` (the controller's), where no `git submodule` command can fetch it. */
  checkout: boolean;
  /**
   * Checked out, at another commit than the index records for it (or one git cannot name):
   * `git submodule status` marks it `+`. Changes not committed in it are no reason: as in the
   * superproject, a work tree is planned as it stands.
   */
  stale: boolean;
};

/** What git's config format reads for `\n`, `\t` and `\b`; any other escaped character is itself. */
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', b: '\b' };

/** A `.gitmodules` value: double quotes taken off (their escapes read), a comment after it dropped. */
function configValue(raw: string): string {
  let out = '';
  let quoted = false;
  for (let at = 0; at < raw.length; at += 1) {
    const c = raw[at]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && at + 1 < raw.length) {
      const next = raw[(at += 1)]!;
      out += ESCAPES[next] ?? next;
    } else if (!quoted && (c === '#' || c === ';')) break;
    else out += c;
  }
  return out.trim();
}

/**
 * The `path` values of a `.gitmodules` text (git's config format), `/`-separated, without a
 * trailing `/`; none that could leave the folder (absolute, `..`).
 */
export function submodulePaths(text: string): string[] {
  const paths: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*path\s*=(.*)$/i.exec(line);
    if (!match) continue;
    const value = configValue(match[1]!).replace(/\/+$/, '');
    if (
      value === '' ||
      value.startsWith('/') ||
      value.split('/').some((part) => part === '..' || part === '')
    )
      continue;
    paths.push(value);
  }
  return paths;
}

/** A submodule's folder with no checkout in it: missing, or empty (git leaves it so until it is initialised). */
function notCheckedOut(folder: string): boolean {
  try {
    return readdirSync(folder).length === 0;
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Which of `paths` (from `top`) the index holds as gitlinks (mode 160000), with the commit it
 * records (undefined: a conflict, no one commit), by one `git ls-files --stage`; undefined when
 * git cannot say (the caller keeps the empty folders: a folder that was not read holds, it
 * never deletes).
 */
function gitlinks(top: string, paths: readonly string[]): Map<string, string | undefined> | undefined {
  const answer = spawnSync(
    'git',
    ['ls-files', '--stage', '-z', '--', ...paths.map((p) => `:(literal)${p}`)],
    {
      cwd: top,
      // A partial clone must not fetch what it lacks to answer.
      env: { ...process.env, GIT_NO_LAZY_FETCH: '1' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (answer.error || answer.status !== 0) return undefined;
  const links = new Map<string, string | undefined>();
  // `<mode> <object> <stage>\t<path>`
  for (const entry of answer.stdout.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0 || !entry.startsWith('160000 ')) continue;
    const [, object, stage] = entry.slice(0, tab).split(' ');
    links.set(entry.slice(tab + 1), stage === '0' ? object : undefined);
  }
  return links;
}

/**
 * The commit checked out in a submodule's folder, by `git rev-parse`; undefined when the folder
 * holds no `.git` of its own (git would answer for the superproject) or git cannot say.
 */
function checkedOutCommit(folder: string): string | undefined {
  if (!existsSync(path.join(folder, '.git'))) return undefined;
  const answer = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], {
    cwd: folder,
    env: { ...process.env, GIT_NO_LAZY_FETCH: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (answer.error || answer.status !== 0) return undefined;
  return answer.stdout.trim() || undefined;
}

/**
 * The submodules of the work tree (or checkout) at `top` that `.gitmodules` names, whose folder
 * is `relativeTo` (a real path) or under it, and has no checkout, or a stale one. Costs nothing
 * more than a look for `.gitmodules` where there is none; where there is, one `git ls-files`
 * (to tell a submodule from a `.gitmodules` line left behind, and read the commit the index
 * records) and one `git rev-parse HEAD` in each submodule checked out.
 */
function uncheckedIn(top: string, relativeTo: string, prefix: string): UncheckedSubmodule[] {
  let text: string;
  try {
    text = readFileSync(path.join(top, '.gitmodules'), 'utf8');
  } catch {
    return [];
  }
  const below: Array<{ fromTop: string; relative: string; empty: boolean }> = [];
  for (const fromTop of submodulePaths(text)) {
    const relative = path.relative(relativeTo, path.join(top, fromTop)).split(path.sep).join('/');
    if (relative === '..' || relative.startsWith('../') || path.isAbsolute(relative)) continue;
    below.push({
      fromTop,
      relative: prefix && relative ? `${prefix}/${relative}` : prefix || relative,
      empty: notCheckedOut(path.join(top, fromTop)),
    });
  }
  if (below.length === 0) return [];
  const checkout = !existsSync(path.join(top, '.git'));
  // A checkout without `.git` (the controller's) has its submodules empty, and no git to ask.
  if (checkout)
    return below
      .filter((b) => b.empty)
      .map(({ fromTop, relative }) => ({ fromTop, relative, checkout, stale: false }));
  const links = gitlinks(
    top,
    below.map((b) => b.fromTop),
  );
  const found: UncheckedSubmodule[] = [];
  for (const { fromTop, relative, empty } of below) {
    if (empty) {
      if (links === undefined || links.has(fromTop))
        found.push({ fromTop, relative, checkout, stale: false });
    } else if (links?.has(fromTop)) {
      const recorded = links.get(fromTop);
      const head = checkedOutCommit(path.join(top, fromTop));
      if (recorded === undefined || head !== recorded)
        found.push({ fromTop, relative, checkout, stale: true });
    }
  }
  return found;
}

/**
 * The submodules at or under the directory read (`realRoot`, a real path) that are not checked
 * out, as the `.gitmodules` of its work tree names them (the nearest folder up holding `.git`),
 * or of `checkoutTop` (a checkout without `.git`: the controller's).
 */
export function uncheckedSubmodules(realRoot: string, checkoutTop: string | undefined): UncheckedSubmodule[] {
  const top = checkoutTop === undefined ? gitTop(realRoot) : realDirectory(checkoutTop);
  return top === undefined ? [] : uncheckedIn(top, realRoot, '');
}

/**
 * uncheckedSubmodules of the checked-out submodules the walk met (`nested`: their folders from
 * `realRoot`, each holding a `.gitmodules`; those holding no `.git` are no work tree's top).
 */
export function uncheckedNested(realRoot: string, nested: readonly string[]): UncheckedSubmodule[] {
  const found: UncheckedSubmodule[] = [];
  for (const folder of nested) {
    const at = path.join(realRoot, folder);
    if (existsSync(path.join(at, '.git'))) found.push(...uncheckedIn(at, at, folder));
  }
  return found;
}

/** The warning's text: what was not read, what is left as it is, and the way out. */
export function uncheckedMessage(submodule: UncheckedSubmodule): string {
  const left = 'its manifests are not read, and the audiences they defined are left as they are';
  if (submodule.stale) {
    const update = `git submodule update --init -- ${quoteArg(submodule.fromTop)}`;
    const add = `git add -- ${quoteArg(submodule.fromTop)}`;
    return `a git submodule checked out at another commit than the work tree records for it (git submodule status marks it +): ${left}; run \`${update}\` at the top of the work tree, or, to apply the commit checked out, record it (\`${add}\` there, and commit)`;
  }
  if (submodule.checkout)
    return `a git submodule, which the controller's git source does not check out: ${left}; keep the manifests in the repository itself, or remove the submodule (git rm) to delete them`;
  const command = `git submodule update --init -- ${quoteArg(submodule.fromTop)}`;
  return `a git submodule that is not checked out: ${left}; run \`${command}\` at the top of the work tree, or remove the submodule (git rm) to delete them`;
}

/** A path as a shell word: as it is when plain, else in single quotes. */
function quoteArg(value: string): string {
  return /^[\w./@%+=:,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
