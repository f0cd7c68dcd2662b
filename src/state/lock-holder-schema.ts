import { z } from 'zod';

/** Content of the lock file: who holds the store, so that others can say so. */
export const LockHolder = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  /**
   * Where its pid means something (stale-temps.ts hostTag: a hash of the host name, machine id
   * and pid namespace). Containers sharing a host name have their own pids. Absent from the
   * locks of releases before it: those are judged by their host name alone, as then.
   */
  hostTag: z.string().optional(),
  /** ISO time the lock was taken. */
  since: z.string(),
  /** What the holder runs, e.g. `audiencectl apply`. */
  command: z.string(),
  /** Random; tells this holding apart from an earlier one with the same pid. */
  nonce: z.string(),
  /**
   * A controller's leader: what it reconciles (controllerSource in daemon/controller-source.ts),
   * so that a controller of another source finding the lock held can say that it will never
   * lead (replicas of one controller share it). Absent for other commands and older releases.
   */
  source: z.string().optional(),
});
export type LockHolder = z.infer<typeof LockHolder>;
