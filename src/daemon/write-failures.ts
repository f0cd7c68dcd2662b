import { STORE_WRITES, type StateStore } from '../state/store.js';
import { isUnwritableStore } from './standing-fault.js';

/** The store's writes, watched for one that failed because the store takes no writes. */
export type WatchedWrites = {
  store: StateStore;
  /** The first such failure since the last call, forgotten by it. */
  take(): Error | undefined;
};

/**
 * `store`, remembering the first write that failed with STATE_UNWRITABLE or STATE_READ_ONLY.
 * A pass meets such a failure where it is caught and worded as the step's or a note: the record
 * of a call that was made (its intent kept, the call settled once the store takes writes), or
 * the settling of that intent by the passes after it. The pass itself went on and ended well,
 * and the controller stayed ready pass after pass while it could record nothing: the pass now
 * ends with the failure (PassDeps.unwritable), which makes it not ready (standingFault).
 */
export function watchWrites(store: StateStore): WatchedWrites {
  let failed: Error | undefined;
  const watched = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!STORE_WRITES.has(name)) return method.bind(target);
      return (...args: unknown[]) =>
        (method.apply(target, args) as Promise<unknown>).catch((error: unknown) => {
          if (failed === undefined && error instanceof Error && isUnwritableStore(error)) failed = error;
          throw error;
        });
    },
  });
  return {
    store: watched,
    take() {
      const error = failed;
      failed = undefined;
      return error;
    },
  };
}
