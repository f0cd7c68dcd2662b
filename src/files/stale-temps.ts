import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fsCalls, TEMP_SUFFIX } from '../state/durable-fs.js';

/**
 * A temporary file whose writer is known gone (of this host, its pid not running) is litter
 * from then on; any other (another host's or container's, whose pid means nothing here, one
 * of a name without the host, or of a live pid, maybe reused) is left this long after its
 * last write: a write takes seconds at most, a leftover costs only a hidden file, and
 * removing a live one would fail that writer's plan.
 */
const TEMP_STALE_MS = 10 * 60_000;

let thisHost: string | undefined;

/**
 * Where this process's pids mean something: 8 hex digits of a hash of the host's name and, on
 * Linux, the machine's id and the pid namespace (containers sharing a host's name and a volume
 * have their own pids; the first pid namespace has the same id on every host, the machine id
 * tells two hosts of one name apart).
 */
export function hostTag(): string {
  if (thisHost !== undefined) return thisHost;
  const parts = [hostname()];
  for (const read of [
    () => readFileSync('/etc/machine-id', 'utf8').trim(),
    () => readlinkSync('/proc/self/ns/pid'),
  ]) {
    try {
      parts.push(read());
    } catch {
      // Not Linux, or no /proc or machine id: what the rest tells.
      parts.push('');
    }
  }
  thisHost = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 8);
  return thisHost;
}

/** `.<name>.<host>.<pid>.<8 hex>.tmp` beside `file` (same directory: the rename is atomic). */
export function hostTempPath(file: string, host = hostTag()): string {
  const tag = `${host}.${process.pid}.${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.${tag}${TEMP_SUFFIX}`);
}

/** Whether a process of this pid runs here (one of another user's counts: EPERM). */
function running(pid: number): boolean {
  if (pid === process.pid) return false; // not this write's: its temp file is made after the sweep
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `entry`, beside `file` and named as its temporary files are (tempsNamedFor), is
 * one an earlier write to `file` left:
 * hostTempPath's `.<name>.<host>.<pid>.<8 hex>.tmp`, `.<name>.<pid>.<8 hex>.tmp` of `--out`
 * before the host was named, or `.<name>.<pid>.tmp` of the caches before then (those names
 * only; a pid has at most 7 digits, so an 8-character first part is the host), whose writer
 * was of this host and is not running, or last written TEMP_STALE_MS ago. `info`: its lstat.
 */
function isLitter(file: string, entry: string, host: string, info: Stats | undefined, now: number): boolean {
  const prefix = `.${path.basename(file)}.`;
  const tag = /^(?:([0-9a-f]{8})\.)?(\d+)(?:\.[0-9a-f]{8})?$/.exec(
    entry.slice(prefix.length, -TEMP_SUFFIX.length),
  );
  if (!tag || !info?.isFile()) return false;
  const gone = tag[1] === host && !running(Number(tag[2]));
  return gone || now - info.mtimeMs >= TEMP_STALE_MS;
}

/** Temporary files (paths) with their lstat (undefined: it failed). */
type Statted = ReadonlyArray<readonly [temp: string, info: Stats | undefined]>;

/** The paths of `entries` (file's folder's listing) that could be litter of `file`: by name, no lstat of the rest. */
function tempsNamedFor(file: string, entries: readonly string[]): string[] {
  const prefix = `.${path.basename(file)}.`;
  const dir = path.dirname(file);
  return entries
    .filter((entry) => entry.startsWith(prefix) && entry.endsWith(TEMP_SUFFIX))
    .map((entry) => path.join(dir, entry));
}

/** Of tempsNamedFor's, statted, those earlier writes to `file` left (isLitter). */
function litterOf(file: string, statted: Statted, host: string, now: number): string[] {
  return statted
    .filter(([temp, info]) => isLitter(file, path.basename(temp), host, info, now))
    .map(([temp]) => temp);
}

/**
 * Removes the temporary files earlier writes to `file` left beside it (isLitter): a write
 * killed mid-way (SIGKILL, Ctrl-C, a lost machine) leaves one. Best effort: a file it cannot
 * read or remove is left, and the write goes on.
 */
export async function sweepTemps(file: string, host = hostTag(), now = Date.now()): Promise<void> {
  const statted: Array<[string, Stats | undefined]> = [];
  for (const temp of tempsNamedFor(file, await readdir(path.dirname(file)).catch(() => [])))
    statted.push([temp, await lstat(temp).catch(() => undefined)]);
  for (const temp of litterOf(file, statted, host, now)) await fsCalls.rm(temp).catch(() => undefined);
}

/** sweepTemps, here and now (a cache's writer, in whichever thread writes it). */
export function sweepTempsSync(file: string, host = hostTag(), now = Date.now()): void {
  let entries: string[];
  try {
    entries = readdirSync(path.dirname(file));
  } catch {
    return;
  }
  const statted = tempsNamedFor(file, entries).map((temp): [string, Stats | undefined] => {
    try {
      return [temp, lstatSync(temp)];
    } catch {
      return [temp, undefined];
    }
  });
  for (const temp of litterOf(file, statted, host, now)) {
    try {
      rmSync(temp);
    } catch {
      // Gone already, or not ours to remove: left.
    }
  }
}
