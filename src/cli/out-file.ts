import { rmSync } from 'node:fs';
import { lstat, readlink, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { hostTag, hostTempPath, sweepTemps } from '../files/stale-temps.js';
import { fsCalls, syncDir } from '../state/durable-fs.js';
import { escapeText } from '../text/safe-text.js';
import { leavesDirectory } from '../files/leaves-directory.js';

/** Checks, before anything runs, that `file` can be written: its directory exists and it is not one. */
export async function assertWritableFile(file: string, flag: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory())
    throw new UsageError('OUT_IS_DIR', `${flag}: ${escapeText(file)} is a directory; name a file`);
  const dir = path.dirname(path.resolve(file));
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new UsageError('OUT_NO_DIR', `${flag}: the directory ${escapeText(dir)} does not exist`);
  if (!parent.isDirectory())
    throw new UsageError('OUT_NO_DIR', `${flag}: ${escapeText(dir)} is not a directory`);
}

/** The file a write to `file` lands on: where its symlink points (one level, when dangling), or `file`. */
async function linkTarget(file: string): Promise<string> {
  const info = await lstat(file).catch(() => undefined);
  if (!info?.isSymbolicLink()) return file;
  return realpath(file).catch(async () => path.resolve(path.dirname(file), await readlink(file)));
}

/** `dir` by its real path, or as given when it does not exist (yet). */
function realDir(dir: string): Promise<string> {
  return realpath(dir).catch(() => path.resolve(dir));
}

/**
 * The paths a write to `file` lands on: as named (its directory's real path, the name
 * kept) and, when `file` is a symlink, the file it points to. Both are compared with
 * the directories the plan reads, so a symlinked directory or file cannot hide one.
 */
async function landingPaths(file: string): Promise<string[]> {
  const named = path.join(await realDir(path.dirname(path.resolve(file))), path.basename(file));
  const target = await linkTarget(file);
  if (target === file) return [named];
  return [named, path.join(await realDir(path.dirname(target)), path.basename(target))];
}

function inside(dir: string, file: string): string | undefined {
  const relative = path.relative(dir, file);
  if (relative === '' || leavesDirectory(relative)) return undefined;
  return relative.split(path.sep).join('/');
}

/** Where the plan reads from: a write there would damage it, or be read back as a manifest. */
export type ReadPlaces = {
  /** The state directory (a directory store), whether or not it exists yet. */
  stateDir?: string | undefined;
  /** The manifests directory, as given on the command line. */
  manifestsDir: string;
  /** Whether a path relative to the manifests directory is a manifest file (--include/--exclude). */
  isManifest: (relative: string) => boolean;
};

/**
 * Refuses, before anything is read, a `--out` that lands in the state directory or on a
 * file the manifests read selects (it would be replaced by the plan, or read as a
 * manifest next time). Other files beside the manifests (`plan.json` in `.`) are fine.
 */
export async function assertOutElsewhere(file: string, places: ReadPlaces, flag: string): Promise<void> {
  const landing = await landingPaths(file);
  const stateDir = places.stateDir === undefined ? undefined : await realDir(places.stateDir);
  const manifestsDir = await realDir(places.manifestsDir);
  for (const target of landing) {
    if (stateDir !== undefined && inside(stateDir, target) !== undefined)
      throw new UsageError(
        'OUT_IN_STATE',
        `${flag}: ${escapeText(file)} is inside the state directory ${escapeText(places.stateDir ?? '')}: the plan would damage the state; name a file outside it`,
      );
    const relative = inside(manifestsDir, target);
    if (relative !== undefined && places.isManifest(relative))
      throw new UsageError(
        'OUT_IS_MANIFEST',
        `${flag}: ${escapeText(file)} is one of the manifest files of ${escapeText(places.manifestsDir)}: the plan would replace it, or be read as a manifest; name a file outside it or with another extension`,
      );
  }
}

/**
 * Whether `named`, a symlink, names one of this process's descriptors: `/dev/stdout` (a link
 * to /proc/self/fd/1), `/dev/fd/3` (in /dev/fd, a link to /proc/self/fd). Any other link,
 * under /dev (/dev/shm) or not, leads to a file like any other (review 24, L3).
 */
async function descriptorLink(named: string): Promise<boolean> {
  if ((await realDir(path.dirname(named))).startsWith('/proc/')) return true;
  const hop = await readlink(named).catch(() => undefined);
  return hop !== undefined && path.resolve(path.dirname(named), hop).startsWith('/proc/');
}

/**
 * What a write to `file` replaces: the file a symlink points to (the link is kept), or
 * `file`. A device, FIFO or /proc entry, and a link to one of this process's
 * descriptors (`--out /dev/stdout`, `/dev/fd/3`, which may lead to a file the shell
 * redirected to), are written as they are: there is no content to keep, or renaming over
 * it would leave the shell's descriptor on the old file. A regular file under /dev (the
 * tmpfs /dev/shm) is replaced like any other.
 */
async function replaceTarget(file: string): Promise<{ path: string; inPlace: boolean }> {
  const target = await linkTarget(file);
  const named = path.resolve(file);
  if (named.startsWith('/proc/') || path.resolve(target).startsWith('/proc/'))
    return { path: target, inPlace: true };
  if (target !== file && (await descriptorLink(named))) return { path: target, inPlace: true };
  const kind = await stat(target).catch(() => undefined);
  return { path: target, inPlace: kind !== undefined && !kind.isFile() };
}

/** Whether `file` is a stream or device written as it is (`/dev/stdout`, a FIFO): no file a later command reads back. */
export async function isStreamTarget(file: string): Promise<boolean> {
  return (await replaceTarget(file)).inPlace;
}

/**
 * Removes `temp` if SIGINT or SIGTERM comes while it exists, then dies of the signal as the
 * process would have (130 or 143 in a shell); a process that handles the signal itself (a
 * listener besides this one) goes on, its write failing on the missing file. Returns the
 * function that stops watching.
 */
function removeOnSignal(temp: string): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    stop();
    rmSync(temp, { force: true });
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const stop = () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return stop;
}

/**
 * Writes `text` over `file` so that a failed or killed write (EFBIG, ENOSPC, SIGKILL)
 * leaves the previous file whole: a temporary file beside it, fsync, rename, fsync of
 * the directory. An existing file keeps its mode (a saved plan may be kept private), and
 * its owner where this process may give it; a new one gets 0666 less the umask. The
 * temporary file is removed on SIGINT and SIGTERM; one a SIGKILL leaves is removed by the
 * next write to the same file (sweepTemps).
 */
async function replaceFile(file: string, text: string): Promise<void> {
  const target = await replaceTarget(file);
  if (target.inPlace) return writeFile(target.path, text);
  const previous = await stat(target.path).catch(() => undefined);
  // Only a write that makes a temporary file asks who this host is.
  const host = hostTag();
  await sweepTemps(target.path, host);
  const temp = hostTempPath(target.path, host);
  const unwatch = removeOnSignal(temp);
  try {
    const handle = await fsCalls.open(temp, 'wx', 0o666);
    try {
      if (previous) {
        if (previous.uid !== process.getuid?.() || previous.gid !== process.getgid?.())
          await handle.chown(previous.uid, previous.gid).catch(() => undefined);
        await handle.chmod(previous.mode & 0o777);
      }
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsCalls.rename(temp, target.path);
  } catch (error) {
    await fsCalls.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    unwatch();
  }
  await syncDir(path.dirname(target.path));
}

/** Writes `text` to `file`; a failure is one line naming the flag and the reason. */
export async function writeOutFile(file: string, text: string, flag: string): Promise<void> {
  try {
    await replaceFile(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError('OUT_UNWRITABLE', `${flag}: cannot write ${escapeText(file)} (${code})`, {
      cause: error,
    });
  }
}
