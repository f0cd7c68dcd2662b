import { randomUUID } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readRegularText } from '../files/read-regular.js';
import {
  createLockFile,
  holderIn,
  stalePid,
  type LockHolder,
  type LockObservation,
} from '../state/lock-holder.js';
import { SourceConfigError } from './errors.js';

/** The lock file's name inside the work directory. */
export const WORK_DIR_LOCK = 'audiencectl.lock';

export type WorkDirLock = {
  file: string;
  holder: LockHolder;
  /** Set when the lock of a process no longer running on this host was taken over. */
  tookOver?: LockHolder;
  release(): Promise<void>;
};

/** Nonces this process holds: a lock naming our own pid with another nonce was left by an earlier process. */
const heldHere = new Set<string>();

/** How many times a lock that vanished or was taken over under us is looked at again. */
const ATTEMPTS = 5;

async function observe(file: string): Promise<LockObservation | undefined> {
  let raw: string;
  try {
    raw = await readRegularText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return { holder: holderIn(raw), raw, mtimeMs: 0 };
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
    if (again?.raw === seen.raw) await unlink(file).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function inUse(dir: string, file: string, holder: LockHolder | undefined): SourceConfigError {
  const who = holder
    ? `pid ${holder.pid} on host ${holder.hostname} since ${holder.since}`
    : `an unknown process: ${file} is unreadable`;
  // A holder on another host cannot be judged by its pid: only the user can say it is gone.
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
 * process on another host, is refused; one naming a process gone from this host is taken
 * over. Held until `release` (not refreshed: no one judges it by age).
 */
export async function lockWorkDir(dir: string, command = 'audiencectl run'): Promise<WorkDirLock> {
  try {
    return await acquire(dir, command);
  } catch (error) {
    if (error instanceof SourceConfigError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SourceConfigError('SOURCE_OPTIONS_INVALID', `cannot lock --work-dir ${dir}: ${reason}`);
  }
}

async function acquire(dir: string, command: string): Promise<WorkDirLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, WORK_DIR_LOCK);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    since: new Date().toISOString(),
    command,
    nonce: randomUUID(),
  };
  let tookOver: LockHolder | undefined;
  for (let attempt = 0; ; attempt += 1) {
    if (await createLockFile(file, holder, `${file}.${holder.nonce}.tmp`)) break;
    const seen = await observe(file);
    if (!seen) continue;
    if (attempt >= ATTEMPTS || !stalePid(seen, heldHere)) throw inUse(dir, file, seen.holder);
    tookOver = seen.holder;
    await takeOver(file, seen);
  }
  heldHere.add(holder.nonce);
  let released = false;
  return {
    file,
    holder,
    ...(tookOver ? { tookOver } : {}),
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(holder.nonce);
      const seen = await observe(file).catch(() => undefined);
      if (seen?.holder?.nonce === holder.nonce) await unlink(file).catch(() => undefined);
    },
  };
}
