import type { StateMeta, RecordedState } from '../state/schema.js';
import type { StateStore } from '../state/store.js';

export type CachedReadsOptions = {
  /** Read everything again at least this often, whatever the serial says (the resync interval). */
  maxAgeMs: number;
  /** Default Date.now. */
  now?: () => number;
};

function keyOf(meta: StateMeta | undefined): string {
  return meta ? `${meta.lineage}#${meta.serial}` : '-';
}

/**
 * The store with `readAll` kept between the controller's passes: served again while
 * the store's lineage and serial are unchanged, which costs one small read (meta)
 * instead of one per audience. Safe because every write bumps the serial before the
 * record changes (both stores), so a write by anyone else (an `audiencectl apply`)
 * shows as a new serial; writes through this view drop the copy at once; and the copy
 * is read again every `maxAgeMs` in any case (a record edited by hand, bypassing the
 * store, is seen then). The meta is read before the records, so a copy taken while
 * someone writes is keyed with a serial that is already stale, never a fresh one.
 */
export function cachedReads(store: StateStore, options: CachedReadsOptions): StateStore {
  const now = options.now ?? Date.now;
  let cached: { key: string; at: number; state: RecordedState } | undefined;
  const dropping = <T>(write: Promise<T>): Promise<T> => {
    cached = undefined;
    return write.finally(() => (cached = undefined));
  };
  return {
    location: store.location,
    shared: store.shared,
    async readAll() {
      const key = keyOf(await store.meta());
      if (cached?.key === key && now() - cached.at < options.maxAgeMs) {
        return { meta: cached.state.meta, audiences: [...cached.state.audiences] };
      }
      const at = now();
      const state = await store.readAll();
      cached = { key, at, state };
      return { meta: state.meta, audiences: [...state.audiences] };
    },
    get: (sandbox, key) => store.get(sandbox, key),
    meta: () => store.meta(),
    list: () => store.list(),
    put: (record) => dropping(store.put(record)),
    delete: (sandbox, key) => dropping(store.delete(sandbox, key)),
    beginIntent: (record, kind, extra) => dropping(store.beginIntent(record, kind, extra)),
    resolveIntent: (record, outcome) => dropping(store.resolveIntent(record, outcome)),
    restore: (snapshot) => dropping(store.restore(snapshot)),
    init: () => dropping(store.init()),
    lock: (lockOptions) => store.lock(lockOptions),
    unlock: () => store.unlock(),
    close: () => store.close(),
    ...(store.onLockLost
      ? { onLockLost: (listener: (error: Error) => void) => store.onLockLost!(listener) }
      : {}),
  };
}
