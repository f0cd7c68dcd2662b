import { StateError } from './errors.js';
import { stateDigest } from './digest.js';
import type { StateStore } from './store.js';

export type MigrateResult = {
  audiences: number;
  digest: string;
  lineage: string | undefined;
  serial: number;
};

/**
 * Copies a whole state from one store to another (`audiencectl state migrate`): both
 * locked, so nothing changes while it copies; lineage and serial kept, so saved plans
 * still apply; an occupied target refused unless `force`; counts and digests compared
 * after the copy, from what the target reads back.
 */
export async function migrateState(
  from: StateStore,
  to: StateStore,
  options: {
    force: boolean;
    /**
     * Takes a store's lock: the caller's, so that it says what it waits for, and so that its
     * Ctrl-C ends the wait (given only `{ timeoutMs }`, a migrate waited out --lock-timeout).
     */
    lock: (store: StateStore) => Promise<void>;
    signal?: AbortSignal;
  },
): Promise<MigrateResult> {
  const { signal } = options;
  await options.lock(from);
  try {
    signal?.throwIfAborted();
    await options.lock(to);
    try {
      const snapshot = await from.readAll();
      signal?.throwIfAborted();
      // A source that holds nothing is a mistyped --from (an empty folder, a new database):
      // copied with --force, it emptied a store that held every record.
      if (snapshot.meta === undefined && snapshot.audiences.length === 0)
        throw new StateError(
          'STATE_MIGRATE_EMPTY',
          `${from.location} holds no state (no lineage, no records): nothing to copy; check --from`,
        );
      const [meta, ids] = await Promise.all([to.meta(), to.list()]);
      if ((meta !== undefined || ids.length > 0) && !options.force) {
        const about = meta ? ` (lineage ${meta.lineage}, serial ${meta.serial})` : '';
        throw new StateError(
          'STATE_TARGET_NOT_EMPTY',
          `${to.location} already holds a state with ${ids.length} audience(s)${about}; pass --force to replace it`,
        );
      }
      // All or nothing; interrupted (signal), the target is left as it was.
      await to.restore(snapshot, signal);
      const copied = await to.readAll();
      const expected = stateDigest(snapshot);
      const found = stateDigest(copied);
      if (copied.audiences.length !== snapshot.audiences.length || found !== expected) {
        throw new StateError(
          'STATE_MIGRATE_MISMATCH',
          `the copy in ${to.location} does not match ${from.location}: ${copied.audiences.length} audience(s), ${found}; expected ${snapshot.audiences.length}, ${expected}. The source is unchanged; run the command again`,
        );
      }
      return {
        audiences: copied.audiences.length,
        digest: found,
        lineage: copied.meta?.lineage,
        serial: copied.meta?.serial ?? 0,
      };
    } finally {
      await to.unlock();
    }
  } finally {
    await from.unlock();
  }
}
