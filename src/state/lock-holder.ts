import os from 'node:os';
import { z } from 'zod';

/** Content of the lock file: who holds the store, so that others can say so. */
export const LockHolder = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  /** ISO time the lock was taken. */
  since: z.string(),
  /** What the holder runs, e.g. `audiencectl apply`. */
  command: z.string(),
  /** Random; tells this holding apart from an earlier one with the same pid. */
  nonce: z.string(),
});
export type LockHolder = z.infer<typeof LockHolder>;

/** What a locker found in the lock file: its holder (unless unreadable) and its age. */
export type LockObservation = { holder: LockHolder | undefined; raw: string; mtimeMs: number };

/**
 * Why a lock is stale: its process is gone (`dead-pid`), it is an earlier process
 * with our own pid (`reused-pid`, e.g. pid 1 in a restarted container), or it was
 * not refreshed for longer than the stale limit (`expired`; holders on other hosts).
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

export function staleReason(
  seen: LockObservation,
  now: number,
  staleAfterMs: number,
  heldHere: ReadonlySet<string>,
): StaleReason | undefined {
  const { holder } = seen;
  if (holder && holder.hostname === os.hostname()) {
    if (holder.pid === process.pid && !heldHere.has(holder.nonce)) return 'reused-pid';
    if (holder.pid !== process.pid && !isPidAlive(holder.pid)) return 'dead-pid';
  }
  // Live holders refresh the file's mtime, so an old one means nobody is there.
  if (now - seen.mtimeMs > staleAfterMs) return 'expired';
  return undefined;
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'an unknown process (the lock file is unreadable)';
  return `pid ${holder.pid} on host ${holder.hostname} (${holder.command}) since ${holder.since}`;
}

export function describeStale(reason: StaleReason): string {
  if (reason === 'dead-pid') return 'its process is no longer running';
  if (reason === 'reused-pid') return 'it was left by an earlier process with this pid';
  return 'it was not refreshed for too long';
}
