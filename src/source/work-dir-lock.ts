import { mkdir, open, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRegularFile } from '../files/read-regular.js';
import {
  createLockFile,
  holderHere,
  holderIn,
  pidsMeanHere,
  quietNeededMs,
  stalePid,
  type LockHolder,
  type LockObservation,
} from '../state/lock-holder.js';
import { SourceConfigError } from './errors.js';
import { makeDirs, MakeDirsError } from '../files/make-dirs.js';

/** The lock file's name inside the work directory. */
export const WORK_DIR_LOCK = 'audiencectl.lock';

export type WorkDirLock = {
  file: string;
  holder: LockHolder;
  /**
   * Set when a lock was taken over: of a process no longer running in this host's pid
   * namespace, or of one in another pid namespace of this host name that stopped refreshing it.
   */
  tookOver?: LockHolder;
  release(): Promise<void>;
};

/** Nonces this process holds: a lock naming our own pid with another nonce was left by an earlier process. */
const heldHere = new Set<string>();

/** How many times a lock that vanished or was taken over under us is looked at again. */
const ATTEMPTS = 5;

export type WorkDirLockOptions = {
  /**
   * A holder refreshes its lock every staleAfterMs/4. One of this host name in another pid
   * namespace (another container) is taken over once watched unchanged for staleAfterMs/2
   * (its lock looks older than staleAfterMs) or staleAfterMs (otherwise), in ms. Default 60 000.
   */
  staleAfterMs?: number;
  /** Between two looks at a watched lock, in ms. Default 1 000. */
  pollMs?: number;
  /** Called once a lock of another pid namespace is watched, before it is judged. */
  onWatch?: (holder: LockHolder, watchMs: number) => void;
};

const DEFAULT_STALE_AFTER_MS = 60_000;

async function observe(file: string): Promise<LockObservation | undefined> {
  try {
    // Content and mtime from one open file, as the state lock reads its own.
    const { handle, info } = await openRegularFile(file);
    try {
      const raw = await handle.readFile('utf8');
      return { holder: holderIn(raw), raw, mtimeMs: info.mtimeMs };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Whether a lock of this host name but another pid namespace (its pid means nothing here) was
 * `abandoned`: watched on this process's monotonic clock, it did not change for as long as a
 * live holder never leaves it (quietNeededMs). A refresh, or another holder, says it is
 * `alive`; so is one of another host name, never watched. `gone`: released meanwhile.
 */
async function judgeByRefresh(
  file: string,
  seen: LockObservation,
  options: WorkDirLockOptions,
): Promise<'alive' | 'abandoned' | 'gone'> {
  const { holder } = seen;
  if (!holder || holder.hostname !== os.hostname() || pidsMeanHere(holder)) return 'alive';
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const neededMs = quietNeededMs(seen, Date.now(), staleAfterMs);
  options.onWatch?.(holder, neededMs);
  const started = performance.now();
  for (;;) {
    const quietMs = performance.now() - started;
    if (quietMs >= neededMs) return 'abandoned';
    await sleep(Math.min(options.pollMs ?? 1000, neededMs - quietMs));
    const again = await observe(file);
    if (!again) return 'gone';
    if (again.raw !== seen.raw || again.mtimeMs !== seen.mtimeMs) return 'alive';
  }
}

/**
 * Removes a lock judged stale, unless it changed meanwhile. A guard file (O_EXCL) keeps two
 * starters from both removing it, which would let the second remove the first's fresh lock.
 */
async function takeOver(file: string, seen: LockObservation): Promise<void> {
  const guard = `${file}.takeover`;
  try {
    await (await open(guard, 'wx')).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  try {
    const again = await observe(file);
    if (again?.raw === seen.raw && again.mtimeMs === seen.mtimeMs) await unlink(file).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function inUse(dir: string, file: string, holder: LockHolder | undefined): SourceConfigError {
  const who = holder
    ? `pid ${holder.pid} on host ${holder.hostname} since ${holder.since}`
    : `an unknown process: ${file} is unreadable`;
  // A holder on another host cannot be judged by its pid: only the user can say it is gone.
  // One of this host name in another pid namespace was watched, and refreshed its lock: alive.
  const stale =
    holder?.hostname === os.hostname() ? '' : ` If that process is gone for good, delete ${file}.`;
  return new SourceConfigError(
    'SOURCE_WORK_DIR_IN_USE',
    `--work-dir ${dir} is used by another audiencectl (${who}): give each controller its own --work-dir.${stale}`,
  );
}

/**
 * Takes the work directory for this process alone: two controllers sharing one move and
 * prune each other's checkouts (docs/controller.md). A lock naming a live process, or a
 * process on another host, is refused; one naming a process gone from this host's pid
 * namespace is taken over, and one of this host name in another pid namespace once it was
 * watched not being refreshed. Held until `release`, refreshed every staleAfterMs/4 meanwhile.
 */
export async function lockWorkDir(
  dir: string,
  command = 'audiencectl run',
  options: WorkDirLockOptions = {},
): Promise<WorkDirLock> {
  try {
    return await acquire(dir, command, options);
  } catch (error) {
    if (error instanceof SourceConfigError) throw error;
    if (error instanceof MakeDirsError)
      throw new SourceConfigError(
        'SOURCE_OPTIONS_INVALID',
        `cannot use --work-dir ${dir}: it ${error.problem}`,
      );
    const code = (error as NodeJS.ErrnoException).code;
    // mkdir of a path a file holds (or passes through) fails EEXIST / ENOTDIR: said as a bare
    // code, EEXIST read as "another controller holds it", not as the path to fix.
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new SourceConfigError(
        'SOURCE_OPTIONS_INVALID',
        `cannot use --work-dir ${dir}: it is a file, or under one, not a directory: give a directory`,
      );
    const reason = code ?? String(error);
    throw new SourceConfigError('SOURCE_OPTIONS_INVALID', `cannot lock --work-dir ${dir}: ${reason}`);
  }
}

async function acquire(dir: string, command: string, options: WorkDirLockOptions): Promise<WorkDirLock> {
  // One mkdir at a time (makeDirs): Node's recursive mkdir spins for ever under /proc.
  await makeDirs(dir, (each) => mkdir(each, { mode: 0o700 }));
  const file = path.join(dir, WORK_DIR_LOCK);
  const holder = holderHere(command);
  let tookOver: LockHolder | undefined;
  for (let attempt = 0; ; attempt += 1) {
    if (await createLockFile(file, holder, `${file}.${holder.nonce}.tmp`)) break;
    const seen = await observe(file);
    if (!seen) continue;
    if (attempt >= ATTEMPTS) throw inUse(dir, file, seen.holder);
    if (!stalePid(seen, heldHere)) {
      const judged = await judgeByRefresh(file, seen, options);
      if (judged === 'gone') continue;
      if (judged === 'alive') throw inUse(dir, file, seen.holder);
    }
    tookOver = seen.holder;
    await takeOver(file, seen);
  }
  heldHere.add(holder.nonce);
  // Touched so that a locker of another pid namespace sees it live (judgeByRefresh); only while it
  // still names this holder, never another's lock that replaced it.
  const heartbeat = setInterval(
    () => {
      void observe(file)
        .then(async (seen) => {
          if (seen?.holder?.nonce !== holder.nonce) return;
          const now = new Date();
          await utimes(file, now, now);
        })
        .catch(() => undefined);
    },
    (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) / 4,
  );
  heartbeat.unref();
  let released = false;
  return {
    file,
    holder,
    ...(tookOver ? { tookOver } : {}),
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      heldHere.delete(holder.nonce);
      const seen = await observe(file).catch(() => undefined);
      if (seen?.holder?.nonce === holder.nonce) await unlink(file).catch(() => undefined);
    },
  };
}
