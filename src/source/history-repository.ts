import { readFileSync, rmSync } from 'node:fs';
import { copyFile, lstat, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostTag } from '../files/stale-temps.js';
import { git as runGit } from './git-run.js';

/**
 * The temporary bare repository a shallow clone's history is fetched into (git-revision.ts,
 * deepenFor): `dir`; the clone's settings as the fetch's environment (`env`: git's
 * GIT_CONFIG_COUNT/KEY/VALUE, never written to disk: actions/checkout's extraheader credential
 * is among them); the remotes they name; and `remove`, which removes it (and forgets its exit
 * hook) once the command is done with it.
 */
export type HistoryRepository = {
  dir: string;
  env: Record<string, string>;
  remotes: string[];
  remove: () => Promise<void>;
};

const PREFIX = 'audiencectl-history-';

/**
 * `audiencectl-history-<host>-<pid>-<start>-XXXXXX`: this host's tag (stale-temps.ts hostTag:
 * where a pid means something), the pid and the start time of the process that made it, and
 * mkdtemp's six characters.
 */
const NAMED = /^audiencectl-history-([0-9a-f]{8})-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * When process `pid` started, in clock ticks since boot (/proc/<pid>/stat's 22nd field); '0'
 * where it cannot be read (no /proc: not Linux). Tells a pid's process from a later one given
 * the same pid.
 */
function startOf(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command's name (field 2, in parentheses) may hold blanks and ')': the fields after
    // the last ')' are the third on.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start !== undefined && /^\d+$/.test(start) ? start : '0';
  } catch {
    return '0';
  }
}

/**
 * Whether the process named `pid`, started at `start`, is known gone: no process has its pid,
 * or the one that has it started at another time (the pid reused). One of another user's
 * (EPERM), or whose start cannot be read, may be it: not gone.
 */
function gone(pid: number, start: string): boolean {
  if (pid === process.pid) return start !== startOf('self');
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const now = startOf(pid);
  return start !== '0' && now !== '0' && now !== start;
}

/**
 * Removes the history repositories processes of this host known gone left in `temp` (a SIGKILL
 * skips the exit hook that removes them): named by NAMED, of this host's tag, a directory of
 * this user's. Another host's or container's (a shared TMPDIR), or one of a process that may
 * still run, is left. Best effort: what cannot be read or removed is left.
 */
async function sweepHistories(temp: string): Promise<void> {
  const host = hostTag();
  const uid = process.getuid?.();
  for (const entry of await readdir(temp).catch((): string[] => [])) {
    const named = NAMED.exec(entry);
    if (named === null || named[1] !== host || !gone(Number(named[2]), named[3]!)) continue;
    const where = path.join(temp, entry);
    const info = await lstat(where).catch(() => undefined);
    if (info === undefined || !info.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
    await rm(where, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * A bare repository beside the clone `dir`, in the temporary directory, that the deepening fetch
 * writes into (removed by `remove` when the command is done with it, else when the process
 * exits; one a killed process left is removed by the next that makes one, sweepHistories): the clone's objects borrowed (alternates), its shallow
 * boundary copied, its settings (its remotes, url.insteadOf, the credentials actions/checkout
 * keeps, its ssh command) given to the fetch in its environment (settingsEnv), not copied into
 * a file: a credential is never left on disk by a process killed mid-fetch. The checkout itself
 * is left as it is: deepened, its history would show removals its plan held (a directory
 * retired before the clone's commit), and the apply would delete what the plan shown before it
 * held. Why not, when it cannot be made.
 */
export async function historyRepository(dir: string): Promise<HistoryRepository | { why: string }> {
  const where = await runGit(dir, ['rev-parse', '--git-path', 'objects', '--git-path', 'shallow'], '');
  const [objects, shallow] = where.ok
    ? where.out.split('\n').map((line) => path.resolve(dir, line.trim()))
    : [];
  if (!where.ok || objects === undefined || shallow === undefined)
    return {
      why: `git could not say where this clone keeps its history (${where.ok ? 'no answer' : where.why})`,
    };
  if (/[\n\r]/.test(objects)) return { why: `this clone's path holds a line break, which git cannot name` };
  // Its settings as they apply to it (includes followed, includeIf's gitdir conditions read as
  // the clone's: actions/checkout's credentials may be kept in such a file).
  const settings = await runGit(dir, ['config', '--local', '--includes', '--list', '-z'], '');
  if (!settings.ok) return { why: `git could not read this clone's settings (${settings.why})` };
  const format = await runGit(dir, ['rev-parse', '--show-object-format'], '');
  const sha256 = format.ok && format.out.trim() === 'sha256';
  try {
    const temp = tmpdir();
    await sweepHistories(temp);
    const repo = await mkdtemp(path.join(temp, `${PREFIX}${hostTag()}-${process.pid}-${startOf('self')}-`));
    // The exit hook is the fallback (a command that ends without reaching its own removal);
    // a long-lived process (an in-process caller) must not collect a hook per command.
    const atExit = () => rmSync(repo, { recursive: true, force: true });
    process.once('exit', atExit);
    const remove = async () => {
      process.off('exit', atExit);
      await rm(repo, { recursive: true, force: true });
    };
    const ready = await prepare(repo, objects, shallow, sha256).catch(
      (error: unknown) => `a repository to fetch into could not be made (${firstLine(error)})`,
    );
    if (ready !== undefined) {
      await remove().catch(() => undefined);
      return { why: ready };
    }
    return { dir: repo, ...settingsEnv(settings.out), remove };
  } catch (error) {
    return { why: `a repository to fetch into could not be made (${firstLine(error)})` };
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().split('\n')[0] ?? '';
}

/** Makes `repo` a bare repository borrowing the clone's objects, its shallow boundary copied; why not. */
async function prepare(
  repo: string,
  objects: string,
  shallow: string,
  sha256: boolean,
): Promise<string | undefined> {
  const made = await runGit(
    repo,
    ['init', '--quiet', '--bare', ...(sha256 ? ['--object-format=sha256'] : []), '.'],
    '',
  );
  if (!made.ok) return `git could not make a repository to fetch into (${made.why})`;
  await writeFile(path.join(repo, 'objects', 'info', 'alternates'), `${objects}\n`);
  await copyFile(shallow, path.join(repo, 'shallow'));
  return undefined;
}

/**
 * The settings of a repository's own that another's must not take (it is bare, of its format),
 * and the includes the listing has followed already.
 */
const OWN_SETTING = /^(core\.(bare|worktree|repositoryformatversion)|extensions\.|include\.|includeif\.)/i;

/**
 * `git config --list -z`'s entries (`key\nvalue\0`, a bare `key\0` for a true flag) as git's
 * GIT_CONFIG_COUNT/GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n> (settings of the command's scope,
 * numbered after any this process was given), but for the settings a repository keeps of its
 * own (OWN_SETTING); and the remotes they name (remote.<name>.url).
 */
function settingsEnv(listed: string): { env: Record<string, string>; remotes: string[] } {
  const given = Number(process.env.GIT_CONFIG_COUNT ?? '0');
  let count = Number.isSafeInteger(given) && given > 0 ? given : 0;
  const env: Record<string, string> = {};
  const remotes: string[] = [];
  for (const entry of listed.split('\0')) {
    if (entry === '') continue;
    const cut = entry.indexOf('\n');
    const key = cut === -1 ? entry : entry.slice(0, cut);
    const first = key.indexOf('.');
    const last = key.lastIndexOf('.');
    if (OWN_SETTING.test(key) || first <= 0 || last === key.length - 1) continue;
    env[`GIT_CONFIG_KEY_${count}`] = key;
    // A bare key is a true flag: an empty value would read as false.
    env[`GIT_CONFIG_VALUE_${count}`] = cut === -1 ? 'true' : entry.slice(cut + 1);
    count += 1;
    const remote = /^remote\.(.+)\.url$/i.exec(key)?.[1];
    if (remote !== undefined && !remotes.includes(remote)) remotes.push(remote);
  }
  env.GIT_CONFIG_COUNT = String(count);
  return { env, remotes };
}
