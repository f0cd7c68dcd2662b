import { randomUUID } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import os from 'node:os';
import { hostTag } from '../files/stale-temps.js';
import { escapeText } from '../text/safe-text.js';
import type { GuardLeft } from './lock.js';
import type { LockHolder } from './lock-holder-schema.js';

export type { LockHolder };

/** This process as a lock's holder, running `command`, from now. */
export function holderHere(command: string): LockHolder {
  return {
    pid: process.pid,
    hostname: os.hostname(),
    hostTag: hostTag(),
    since: new Date().toISOString(),
    command,
    nonce: randomUUID(),
  };
}

/**
 * Whether the holder's pid is one of this process's pid namespace on this host, so that it
 * can be judged here. One of the same host name in another pid namespace (another container
 * sharing the volume and the name: `--network host`, `--uts host`, a fixed `hostname:`) or on
 * another machine is not: its pid 1 is not ours, nor is its dead pid dead.
 */
export function pidsMeanHere(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return false;
  return holder.hostTag === undefined || holder.hostTag === hostTag();
}

/** `value[name]` when it is a string, or absent; `false` for anything else. */
function optionalString(value: Record<string, unknown>, name: string): string | undefined | false {
  if (!Object.hasOwn(value, name) || value[name] === undefined) return undefined;
  return typeof value[name] === 'string' ? value[name] : false;
}

/**
 * The holder a lock file's text names; undefined when it is not one (damaged, another format).
 * Checked by hand, as LockHolder (lock-holder-schema.ts) checks it, with its keys only and in its
 * order: every store opened for writing loaded zod for this check alone
 * (lock-holder-check.spec.ts holds the two the same).
 */
export function holderIn(raw: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const { pid, hostname, since, command, nonce } = fields;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid)) return undefined;
  if (typeof hostname !== 'string' || typeof since !== 'string') return undefined;
  if (typeof command !== 'string' || typeof nonce !== 'string') return undefined;
  const tag = optionalString(fields, 'hostTag');
  const source = optionalString(fields, 'source');
  if (tag === false || source === false) return undefined;
  return {
    pid,
    hostname,
    ...(tag === undefined ? {} : { hostTag: tag }),
    since,
    command,
    nonce,
    ...(source === undefined ? {} : { source }),
  };
}

/**
 * Creates the lock file `file` naming `holder`, its whole content in one step: written and
 * synced under `temp`, then link()ed into place, which fails if a lock exists (false then).
 * Others reading it never see it half-written. Any other failure is thrown.
 */
export async function createLockFile(file: string, holder: LockHolder, temp: string): Promise<boolean> {
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
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** What a locker found in the lock file: its holder (unless unreadable) and its mtime. */
export type LockObservation = { holder: LockHolder | undefined; raw: string; mtimeMs: number };

/**
 * Why a lock is stale: its process is gone (`dead-pid`), it is an earlier process
 * with our own pid in our pid namespace (`reused-pid`), or its holder stopped refreshing
 * it (`expired`; holders on other hosts or in other pid namespaces, a restarted container's too).
 */
export type StaleReason = 'dead-pid' | 'reused-pid' | 'expired';

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The holder is a process of this host and pid namespace (pidsMeanHere): judged by its pid, at once. */
export function stalePid(seen: LockObservation, heldHere: ReadonlySet<string>): StaleReason | undefined {
  const { holder } = seen;
  if (!holder || !pidsMeanHere(holder)) return undefined;
  if (holder.pid === process.pid && !heldHere.has(holder.nonce)) return 'reused-pid';
  if (holder.pid !== process.pid && !isPidAlive(holder.pid)) return 'dead-pid';
  return undefined;
}

/**
 * How long this locker must have seen the lock file unchanged (same content, same
 * mtime), on its own monotonic clock, before it is `expired`. A live holder changes
 * the mtime every staleAfterMs/4, so no comparison of two hosts' clocks is involved:
 * - `staleAfterMs / 2` (two refreshes missed) when the mtime is also older than
 *   staleAfterMs by this host's clock, i.e. the lock already looks abandoned;
 * - the whole `staleAfterMs` otherwise (a fresh mtime, or one in the future: the
 *   holder's clock is ahead of ours), the same grace a live holder always had.
 */
export function quietNeededMs(seen: LockObservation, now: number, staleAfterMs: number): number {
  return now - seen.mtimeMs > staleAfterMs ? staleAfterMs / 2 : staleAfterMs;
}

/** `quietMs`: how long this locker has watched the lock file not change. */
export function staleReason(
  seen: LockObservation,
  now: number,
  staleAfterMs: number,
  heldHere: ReadonlySet<string>,
  quietMs: number,
): StaleReason | undefined {
  const byPid = stalePid(seen, heldHere);
  if (byPid) return byPid;
  if (quietMs >= quietNeededMs(seen, now, staleAfterMs)) return 'expired';
  return undefined;
}

/** The command a controller's leader holds the lock as (daemon/leadership.ts), for its whole life. */
export const CONTROLLER_COMMAND = 'audiencectl run';

/**
 * What to do about a lock `holder` holds. A controller's leader on a shared store (`forLife`)
 * holds it for as long as it runs, idle between passes too: no wait ends it, so a repair is
 * run with the controller stopped. Otherwise the holder is applying, and lets go when done.
 */
export function lockedAdvice(holder: LockHolder | undefined, forLife: boolean): string {
  if (forLife && holder?.command === CONTROLLER_COMMAND) {
    return (
      `It is a controller (\`${CONTROLLER_COMMAND}\`), which holds the lock for as long as it runs, between passes too: ` +
      `waiting or --lock-timeout will not get it. To change the state by hand, stop the controller (every replica: ` +
      `in Kubernetes, scale its Deployment to 0), run the command again, then start the controller again ` +
      `(docs/controller.md, "Repairing state under a controller").`
    );
  }
  return 'Another audiencectl is applying to it: wait for it to finish, or pass --lock-timeout to wait longer.';
}

/**
 * The holder as one line: its fields are read from the lock, which whoever can write the store
 * wrote, and errors naming it are printed with their own line breaks kept.
 */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'an unknown process (the lock file is unreadable)';
  const { pid, hostname, command, since } = holder;
  return escapeText(`pid ${pid} on host ${hostname} (${command}) since ${since}`);
}

/**
 * Said once when a locker starts waiting for a live holder (`--lock-timeout`): without it a
 * state command waited in silence. `store`: which store, where a command locks two (migrate).
 */
export function describeWait(holder: LockHolder | undefined, timeoutMs: number, store: string): string {
  return `Waiting up to ${Number((timeoutMs / 1000).toFixed(1))} s for the state lock of ${store}, held by ${describeHolder(holder)}...`;
}

/** Said when a lock that looks abandoned is watched before it is taken over. */
export function describeWatch(holder: LockHolder | undefined, watchMs: number, ageMs: number): string {
  return (
    `The state lock held by ${describeHolder(holder)} was not refreshed for ${Math.round(ageMs / 1000)} s by this host's clock: ` +
    `watching it for up to ${Math.ceil(watchMs / 1000)} s before taking it over, since clocks of two hosts need not agree...`
  );
}

/** Said for each session a PostgreSQL takeover ended (LockInfo.endedWrites; docs/state.md). */
export function describeEndedWrite(session: string): string {
  return `Ended ${session}: a write of a previous holder of the state lock, whose lock session is gone, was still open; the server rolled it back.`;
}

/** Said when a stale lock was taken over (docs/state.md: it is announced). */
export function describeTakeover(tookOver: {
  holder: LockHolder | undefined;
  reason: StaleReason;
  watchedMs?: number | undefined;
}): string {
  return `Took over a stale state lock held by ${describeHolder(tookOver.holder)}: ${describeStale(tookOver.reason, tookOver.watchedMs)}.`;
}

export function describeStale(reason: StaleReason, watchedMs?: number): string {
  if (reason === 'dead-pid') return 'its process is no longer running';
  if (reason === 'reused-pid') return 'it was left by an earlier process with this pid';
  const watched =
    watchedMs === undefined ? '' : ` (watched unchanged for ${(watchedMs / 1000).toFixed(1)} s)`;
  return `its holder stopped refreshing it${watched}`;
}

/**
 * Said when a takeover guard a killed locker left holds a locker up (lock.ts GuardLeft): removed
 * at once, its maker dead; or waited for, its maker not judged here.
 */
export function describeGuardLeft(guard: GuardLeft): string {
  if (guard.kind === 'removed') {
    return `Removed ${escapeText(guard.file)}, left by ${describeHolder(guard.holder)} when it was killed while taking over a stale state lock: its process is no longer running.`;
  }
  const maker =
    guard.holder === undefined
      ? 'a locker it does not name (an earlier release, or unreadable)'
      : describeHolder(guard.holder);
  const seconds = Math.ceil(guard.waitMs / 1000);
  return `The state lock is being taken over under ${escapeText(guard.file)}, made by ${maker}, which a live locker removes within milliseconds: waiting up to ${seconds} s for it to go, after which it is taken for left by a locker killed mid-takeover and removed...`;
}
