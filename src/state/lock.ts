import { randomUUID } from 'node:crypto';
import { link, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError, StateLockedError, StateWriteError, reasonOf } from './errors.js';
import { tempPathFor } from './durable-fs.js';
import {
  LockHolder,
  describeHolder,
  describeStale,
  staleReason,
  type LockObservation,
  type StaleReason,
} from './lock-holder.js';

export type LockOptions = {
  /** How long to wait for another holder to let go, in ms. Default 0: fail at once. */
  timeoutMs?: number;
  /** A lock not refreshed for this long is stale and taken over, in ms. Default 60 000. */
  staleAfterMs?: number;
  /** Told to whoever finds the store locked. Default: the program name and its first argument. */
  command?: string;
  /** Wait between two attempts while the lock is held, in ms. Default 100. */
  pollMs?: number;
  /** Called once when the lock is held by another and this one starts waiting (timeoutMs > 0). */
  onWait?: (holder: LockHolder | undefined) => void;
};

export type LockInfo = {
  holder: LockHolder;
  /** Set when a stale lock was taken over: whose, and why it was judged stale. */
  tookOver?: { holder: LockHolder | undefined; reason: StaleReason };
};

export type HeldLock = LockInfo & {
  file: string;
  /** Throws STATE_LOCK_LOST unless the lock file still names this holder. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
};

const DEFAULT_STALE_AFTER_MS = 60_000;
/** A takeover guard older than this belongs to a process that died mid-takeover. */
const TAKEOVER_GUARD_STALE_MS = 10_000;

/** Nonces of the locks this process holds, to release them on exit and spot reused pids. */
const heldHere = new Map<string, string>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
  for (const [nonce, file] of heldHere) {
    try {
      if (readFileSync(file, 'utf8').includes(nonce)) unlinkSync(file);
    } catch {
      // Exiting anyway; a leftover lock is detected as stale by the next locker.
    }
  }
}

async function observe(file: string): Promise<LockObservation | undefined> {
  try {
    const [raw, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let holder: LockHolder | undefined;
    try {
      const parsed = LockHolder.safeParse(JSON.parse(raw));
      holder = parsed.success ? parsed.data : undefined;
    } catch {
      holder = undefined;
    }
    return { holder, raw, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError('STATE_UNREADABLE', `cannot read the state lock ${file}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/** Creates the lock file with its full content in one step: link() fails if it exists. */
async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  const temp = tempPathFor(file);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StateWriteError(
      'STATE_UNWRITABLE',
      `cannot create the state lock ${file}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Removes a stale lock, unless it changed since it was judged stale. A guard file
 * (O_EXCL) makes sure two lockers never both remove it, which would let the second
 * remove the fresh lock of the first.
 */
async function takeOver(
  file: string,
  seen: LockObservation,
  isStale: (o: LockObservation) => boolean,
): Promise<boolean> {
  const guard = `${file}.takeover`;
  try {
    await (await open(guard, 'wx')).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StateWriteError(
        'STATE_UNWRITABLE',
        `cannot take over the state lock ${file}: ${reasonOf(error)}`,
        {
          cause: error,
        },
      );
    }
    const info = await stat(guard).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > TAKEOVER_GUARD_STALE_MS)
      await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const again = await observe(file);
    if (again && again.raw === seen.raw && isStale(again)) await unlink(file).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function lockedError(file: string, seen: LockObservation, waitedMs: number): StateLockedError {
  const waited = waitedMs > 0 ? ` after waiting ${(waitedMs / 1000).toFixed(1)} s` : '';
  return new StateLockedError(
    'STATE_LOCKED',
    `the state store is locked by ${describeHolder(seen.holder)}${waited}. ` +
      `Another audiencectl is applying to it: wait for it to finish, or pass --lock-timeout to wait longer. ` +
      `If that process is gone for good, delete ${file}.`,
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
  const holder: LockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    since: new Date().toISOString(),
    command: options.command ?? defaultCommand(),
    nonce: randomUUID(),
  };
  const nonces = new Set(heldHere.keys());
  const isStale = (seen: LockObservation) =>
    staleReason(seen, Date.now(), staleAfterMs, nonces) !== undefined;
  const started = Date.now();
  let waiting = false;
  let tookOver: LockInfo['tookOver'];
  for (;;) {
    if (await tryCreate(file, holder)) break;
    const seen = await observe(file);
    if (!seen) continue;
    const reason = staleReason(seen, Date.now(), staleAfterMs, nonces);
    if (reason) {
      tookOver = { holder: seen.holder, reason };
      // Another locker is taking it over right now: give it a moment.
      if (!(await takeOver(file, seen, isStale))) await sleep(Math.min(pollMs, 20));
      continue;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw lockedError(file, seen, waited);
    if (!waiting) options.onWait?.(seen.holder);
    waiting = true;
    await sleep(Math.min(pollMs, timeoutMs - waited));
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
  async function check(): Promise<void> {
    const seen = await observe(file);
    if (!seen?.holder || seen.holder.nonce !== holder.nonce) lost = seen;
  }
  // Refresh the mtime so that lockers on other hosts do not judge a live lock stale.
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
      if (lost === null) await check();
      if (lost === null) return;
      const by = lost ? describeHolder(lost.holder) : 'nobody (the lock file was removed)';
      throw new StateError(
        'STATE_LOCK_LOST',
        `lost the state lock ${file}: it is now held by ${by}. Stopping so that two appliers never write at once; run again once the other one is done.`,
      );
    },
    async release() {
      clearInterval(heartbeat);
      heldHere.delete(holder.nonce);
      const seen = await observe(file);
      if (seen?.holder?.nonce === holder.nonce) await unlink(file).catch(() => undefined);
    },
  };
}

export { describeStale };
