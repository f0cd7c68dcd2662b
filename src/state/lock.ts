import { stat, unlink, utimes } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RefusedFileError, openRegularFile, readRegularTextSync } from '../files/read-regular.js';
import { StateError, StateLockedError, StateWriteError, reasonOf } from './errors.js';
import { tempPathFor } from './durable-fs.js';
import {
  createLockFile,
  describeHolder,
  holderHere,
  isPidAlive,
  lockedAdvice,
  pidsMeanHere,
  holderIn,
  describeStale,
  quietNeededMs,
  staleReason,
  type LockHolder,
  type LockObservation,
  type StaleReason,
} from './lock-holder.js';

export type LockOptions = {
  /** How long to wait for another holder to let go, in ms. Default 0: fail at once. */
  timeoutMs?: number;
  /**
   * A live holder refreshes the lock every staleAfterMs/4; a lock from another host is
   * taken over once this locker has watched it not change for staleAfterMs/2 (it already
   * looked older than staleAfterMs) or staleAfterMs (otherwise), in ms. Default 60 000.
   */
  staleAfterMs?: number;
  /** Told to whoever finds the store locked. Default: the program name and its first argument. */
  command?: string;
  /** A controller's source, recorded with the holder (LockHolder.source); PostgreSQL stores only. */
  source?: string;
  /** Wait between two attempts while the lock is held, in ms. Default 100. */
  pollMs?: number;
  /** Called once when the lock is held by another and this one starts waiting (timeoutMs > 0). */
  onWait?: (holder: LockHolder | undefined) => void;
  /**
   * Called once when the lock looks abandoned (not refreshed for longer than staleAfterMs
   * by this host's clock) but cannot be taken over before this locker has watched it for
   * `watchMs` more: it waits that long even past `timeoutMs`, since clocks of two hosts
   * prove nothing. `ageMs`: how old the lock looks by this host's clock.
   */
  onWatch?: (holder: LockHolder | undefined, watchMs: number, ageMs: number) => void;
  /**
   * Ends a wait for another holder (a controller's stop, Ctrl-C): the locker gives up at once
   * with STATE_LOCK_WAIT_STOPPED, holding nothing. Without it a SIGTERM waited out the timeout,
   * past a controller's grace period.
   */
  signal?: AbortSignal | undefined;
  /**
   * Directory stores: called when a takeover guard (takeoverGuardOf) that a locker killed
   * mid-takeover left holds this one up: removed at once (its maker a dead process of this
   * host), or waited for (said once).
   */
  onGuard?: (guard: GuardLeft) => void;
};

/**
 * A takeover guard found left (lock.ts takeOver): `file`, the guard; `holder`, the locker that
 * made it (undefined: a guard of a release before guards named their maker, or unreadable).
 * `removed`: its maker is no longer running (a process of this host and pid namespace), so it
 * was removed at once. `waiting`: its maker cannot be judged here (another host's, unnamed), so
 * it is removed once seen unchanged for `waitMs` more.
 */
export type GuardLeft = { file: string; holder: LockHolder | undefined } & (
  { kind: 'removed' } | { kind: 'waiting'; waitMs: number }
);

export type LockInfo = {
  holder: LockHolder;
  /** Set when a stale lock was taken over: whose, and why it was judged stale. */
  tookOver?: {
    holder: LockHolder | undefined;
    reason: StaleReason;
    /** `expired`: how long this locker watched the lock not change before taking it over. */
    watchedMs?: number;
  };
  /**
   * PostgreSQL stores: the sessions of a previous holder's writes, still open with its lock
   * session gone, that this locker ended to take the lock (their writes rolled back), each as
   * `PostgreSQL session pid 4242 (application_name "audiencectl")`.
   */
  endedWrites?: string[];
};

export type HeldLock = LockInfo & {
  file: string;
  /** Throws STATE_LOCK_LOST unless the lock file still names this holder. */
  assertHeld(): Promise<void>;
  /**
   * Called once when the lock is found lost (the heartbeat's check, or assertHeld): another
   * process took it over while this one stalled for longer than staleAfterMs.
   */
  onLost(listener: (error: StateError) => void): void;
  release(): Promise<void>;
};

const DEFAULT_STALE_AFTER_MS = 60_000;
/**
 * A takeover guard seen unchanged this long (on this locker's own clock) belongs to a
 * process that died mid-takeover; a live one holds it for milliseconds. Waited for only when
 * its maker cannot be judged here: one of this host found dead is removed at once.
 */
const TAKEOVER_GUARD_STALE_MS = 10_000;

/** Nonces of the locks this process holds, to release them on exit and spot reused pids. */
const heldHere = new Map<string, string>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
  for (const [nonce, file] of heldHere) {
    try {
      if (readRegularTextSync(file).includes(nonce)) unlinkSync(file);
    } catch {
      // Exiting anyway; a leftover lock is detected as stale by the next locker.
    }
  }
}

async function observe(file: string): Promise<LockObservation | undefined> {
  try {
    // Content and mtime from one open file (NFS revalidates cached attributes on open).
    // Not blocking: a FIFO in the lock's place waited for a writer forever.
    const { handle, info } = await openRegularFile(file);
    let raw: string;
    try {
      raw = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    return { holder: holderIn(raw), raw, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const reason = error instanceof RefusedFileError ? error.reason : reasonOf(error);
    throw new StateError('STATE_UNREADABLE', `cannot read the state lock ${file}: ${reason}`, {
      cause: error,
    });
  }
}

/** Creates the lock file with its full content in one step (createLockFile); false if it exists. */
async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  try {
    return await createLockFile(file, holder, tempPathFor(file));
  } catch (error) {
    throw new StateWriteError(
      'STATE_UNWRITABLE',
      `cannot create the state lock ${file}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** What a locker saw of a file and since when (its own monotonic clock), unchanged. */
type Watch = { key: string; since: number };

/** How long `key` has been seen unchanged: 0 when it is new or changed. */
function watchQuiet(watch: { current?: Watch }, key: string): number {
  const at = performance.now();
  if (watch.current?.key !== key) watch.current = { key, since: at };
  return at - watch.current.since;
}

/**
 * Test seam, as durable-fs.ts's `fsCalls`: `guardTaken` runs once a locker holds the takeover
 * guard, before it looks at the lock again, so a test can change the lock at that very moment
 * (lock.spec.ts). No other code sets it.
 */
export const takeoverHooks: { guardTaken: (lockFile: string) => Promise<void> } = {
  guardTaken: async () => {},
};

/** The file that makes one locker at a time the one removing a stale lock. */
export function takeoverGuardOf(lockFile: string): string {
  return `${lockFile}.takeover`;
}

/** What a locker keeps of the guards it found left: its watch of one, and whether it said it waits. */
type GuardWatch = { current?: Watch; toldWaiting?: boolean };

/**
 * Removes a stale lock, unless it changed since it was judged stale (content or mtime:
 * a refresh in between means its holder is alive). A guard file (made exclusively, naming
 * this locker as a lock does) makes sure two lockers never both remove it, which would let
 * the second remove the fresh lock of the first. A guard left by a locker killed before it
 * removed it (guardLeft) holds the others up until it is removed.
 */
async function takeOver(
  file: string,
  seen: LockObservation,
  holder: LockHolder,
  guardWatch: GuardWatch,
  guardStaleMs: number,
  onGuard: LockOptions['onGuard'],
): Promise<boolean> {
  const guard = takeoverGuardOf(file);
  let made: boolean;
  try {
    made = await createLockFile(guard, holder, tempPathFor(guard));
  } catch (error) {
    throw new StateWriteError(
      'STATE_UNWRITABLE',
      `cannot take over the state lock ${file}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!made) {
    await guardLeft(guard, guardWatch, guardStaleMs, onGuard);
    return false;
  }
  try {
    await takeoverHooks.guardTaken(file);
    const again = await observe(file);
    if (again && again.raw === seen.raw && again.mtimeMs === seen.mtimeMs)
      await unlink(file).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/**
 * A guard another locker made: removed at once when its maker is a process of this host and
 * pid namespace that is no longer running (never one of this process's pid: another locker of
 * this process may hold it now); else only once seen unchanged (its inode, mtime and content)
 * for `guardStaleMs` on this locker's own clock, never by comparing its mtime with this host's
 * time; that wait said once. A live maker holds it for milliseconds.
 */
async function guardLeft(
  guard: string,
  guardWatch: GuardWatch,
  guardStaleMs: number,
  onGuard: LockOptions['onGuard'],
): Promise<void> {
  const left = await observe(guard).catch(() => undefined);
  const info = await stat(guard).catch(() => undefined);
  if (!left || !info) return;
  const maker = left.holder;
  if (maker && pidsMeanHere(maker) && maker.pid !== process.pid && !isPidAlive(maker.pid)) {
    // Unchanged since it was read (another locker may have removed it and made its own).
    const still = await stat(guard).catch(() => undefined);
    if (still?.ino === info.ino && still.mtimeMs === info.mtimeMs) {
      await unlink(guard).catch(() => undefined);
      onGuard?.({ kind: 'removed', file: guard, holder: maker });
    }
    return;
  }
  const quietMs = watchQuiet(guardWatch, `${info.ino}:${info.mtimeMs}:${left.raw}`);
  if (quietMs >= guardStaleMs) {
    await unlink(guard).catch(() => undefined);
    return;
  }
  if (guardWatch.toldWaiting) return;
  guardWatch.toldWaiting = true;
  onGuard?.({ kind: 'waiting', file: guard, holder: maker, waitMs: Math.ceil(guardStaleMs - quietMs) });
}

function lockedError(
  file: string,
  seen: LockObservation,
  waitedMs: number,
  limitMs: number,
  refreshedWhileWatched: boolean,
): StateLockedError {
  // Without a timeout (--lock-timeout 0) nor a watch it looked once: said "after waiting 0.0 s".
  const waited = limitMs > 0 ? ` after waiting ${(waitedMs / 1000).toFixed(1)} s` : '';
  const alive = refreshedWhileWatched
    ? " It looked abandoned by this host's clock, but its holder refreshed it meanwhile: it is alive (the two hosts' clocks differ)."
    : '';
  return new StateLockedError(
    'STATE_LOCKED',
    `the state store is locked by ${describeHolder(seen.holder)}${waited}.${alive} ` +
      // A controller on a directory store locks for each pass only (leadership is PostgreSQL's).
      `${lockedAdvice(seen.holder, false)} ` +
      `If that process is gone for good, delete ${file}.`,
    seen.holder,
  );
}

function waitStopped(file: string, seen: LockObservation): StateLockedError {
  return new StateLockedError(
    'STATE_LOCK_WAIT_STOPPED',
    `stopped waiting for the state lock ${file}, held by ${describeHolder(seen.holder)}: nothing was changed.`,
    seen.holder,
  );
}

/**
 * `audiencectl` and its first argument (`audiencectl apply`), as the user typed it, not
 * the script Node runs (`main.js`); never the whole command line, which may carry secrets.
 */
function defaultCommand(): string {
  return ['audiencectl', process.argv[2]].filter(Boolean).join(' ');
}

export async function acquireLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? 0;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const pollMs = options.pollMs ?? 100;
  const holder = holderHere(options.command ?? defaultCommand());
  const nonces = new Set(heldHere.keys());
  const started = performance.now();
  // Wall-clock time only says whether a lock *looks* abandoned; whether it is, this
  // locker finds out by watching it not change on its own monotonic clock.
  const watch: { current?: Watch } = {};
  const guardWatch: GuardWatch = {};
  const guardStaleMs = Math.min(TAKEOVER_GUARD_STALE_MS, staleAfterMs / 2);
  let limitMs = timeoutMs;
  let watching = false;
  let refreshedWhileWatched = false;
  let waiting = false;
  let tookOver: LockInfo['tookOver'];
  for (;;) {
    if (await tryCreate(file, holder)) break;
    const seen = await observe(file);
    if (!seen) continue;
    const previous = watch.current;
    const quietMs = watchQuiet(watch, `${seen.mtimeMs}:${seen.raw}`);
    // The same holder's lock with another mtime: it refreshed it, so it is alive.
    if (watching && previous && previous !== watch.current && previous.key.endsWith(`:${seen.raw}`))
      refreshedWhileWatched = true;
    const now = Date.now();
    const reason = staleReason(seen, now, staleAfterMs, nonces, quietMs);
    if (reason) {
      tookOver = { holder: seen.holder, reason, ...(reason === 'expired' ? { watchedMs: quietMs } : {}) };
      // Another locker is taking it over right now: give it a moment.
      if (!(await takeOver(file, seen, holder, guardWatch, guardStaleMs, options.onGuard)))
        await sleep(Math.min(pollMs, 20));
      continue;
    }
    const waited = performance.now() - started;
    const neededMs = quietNeededMs(seen, now, staleAfterMs);
    if (!watching && neededMs < staleAfterMs) {
      // Looks abandoned: watch it long enough to tell, once, even past the timeout.
      const watchMs = neededMs - quietMs + pollMs;
      if (waited + watchMs > limitMs) {
        limitMs = waited + watchMs;
        if (!waiting) options.onWatch?.(seen.holder, watchMs, now - seen.mtimeMs);
        waiting = true;
      }
      watching = true;
    }
    if (options.signal?.aborted) throw waitStopped(file, seen);
    if (waited >= limitMs) throw lockedError(file, seen, waited, limitMs, refreshedWhileWatched);
    if (!waiting) options.onWait?.(seen.holder);
    waiting = true;
    // Woken by the signal, it looks once more (the lock may be free) and then gives up.
    await sleep(
      Math.min(pollMs, limitMs - waited),
      undefined,
      options.signal ? { signal: options.signal } : {},
    ).catch((error: unknown) => {
      if (!options.signal?.aborted) throw error;
    });
  }
  return hold(file, holder, staleAfterMs, tookOver);
}

function hold(
  file: string,
  holder: LockHolder,
  staleAfterMs: number,
  tookOver: LockInfo['tookOver'],
): HeldLock {
  heldHere.set(holder.nonce, file);
  if (!exitHookInstalled) {
    process.once('exit', releaseAllOnExit);
    exitHookInstalled = true;
  }
  let lost: LockObservation | undefined | null = null;
  const listeners: Array<(error: StateError) => void> = [];
  function lostError(): StateError {
    const by = lost ? describeHolder(lost.holder) : 'nobody (the lock file was removed)';
    return new StateError(
      'STATE_LOCK_LOST',
      `lost the state lock ${file}: it is now held by ${by}. Stopping so that two appliers never write at once; run again once the other one is done.`,
    );
  }
  async function check(): Promise<void> {
    if (lost !== null) return;
    const seen = await observe(file);
    if (seen?.holder && seen.holder.nonce === holder.nonce) return;
    lost = seen;
    // Told at once, not at the next write: calls already queued must not go out either.
    const error = lostError();
    for (const listener of listeners.splice(0)) listener(error);
  }
  // Refresh the mtime so that lockers on other hosts do not judge a live lock stale.
  // They look for a change of the mtime, not at its value: any refresh counts, with a
  // clock ahead or behind theirs, and with 1-2 s mtime granularity (NFSv3, FAT) at a
  // 15 s period. Not a rewrite of the content: that takes a rename, which could replace
  // the lock another process has just created after taking this one over.
  const heartbeat = setInterval(() => {
    void check()
      .then(async () => {
        if (lost === null) {
          const now = new Date();
          await utimes(file, now, now);
        }
      })
      .catch(() => undefined);
  }, staleAfterMs / 4);
  heartbeat.unref();
  return {
    file,
    holder,
    ...(tookOver ? { tookOver } : {}),
    async assertHeld() {
      await check();
      if (lost !== null) throw lostError();
    },
    onLost(listener) {
      if (lost === null) listeners.push(listener);
      else listener(lostError());
    },
    async release() {
      clearInterval(heartbeat);
      listeners.splice(0);
      heldHere.delete(holder.nonce);
      const seen = await observe(file);
      if (seen?.holder?.nonce === holder.nonce) await unlink(file).catch(() => undefined);
    },
  };
}

export { describeStale };
