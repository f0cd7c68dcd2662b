import { describe, expect, it } from 'vitest';
import { StateError, StateLockedError, StateWriteError } from '../state/errors.js';
import { STORE_WRITES, type StateStore } from '../state/store.js';
import { watchWrites } from './write-failures.js';

/**
 * Every member of StateStore, and whether it writes the records or their meta: a pass's write,
 * one only the state commands make (`restore`, `deleteStray`), or none. This spec's own claim,
 * not read from STORE_WRITES: a member added to StateStore fails tsc here until it is said
 * whether it writes, and STORE_WRITES leaving out one said to write (or holding one said not to)
 * fails 'STORE_WRITES ...' below, so the list the watch takes cannot fall behind the store
 * silently.
 */
const WRITES = {
  put: 'pass',
  delete: 'pass',
  replaceIfUnchanged: 'pass',
  beginIntent: 'pass',
  resolveIntent: 'pass',
  releaseOrg: 'pass',
  markRevision: 'pass',
  restore: 'command',
  deleteStray: 'command',
  location: 'none',
  shared: 'none',
  readAll: 'none',
  get: 'none',
  meta: 'none',
  list: 'none',
  lock: 'none',
  unlock: 'none',
  useOrgs: 'none',
  useRevision: 'none',
  init: 'none',
  close: 'none',
  onLockLost: 'none',
  hintPush: 'none',
  listenForPushes: 'none',
  midWrite: 'none',
  recordVersions: 'none',
  identity: 'none',
} satisfies Record<keyof StateStore, 'pass' | 'command' | 'none'>;

/** The writes a controller's pass makes. */
const PASS_WRITES = Object.entries(WRITES)
  .filter(([, writes]) => writes === 'pass')
  .map(([name]) => name);

/**
 * A store whose every method fails with what `failWith` gives for its name: watchWrites only
 * wraps the store's methods, so the store here is the methods a pass calls, each refused.
 */
function refusing(failWith: (name: string) => Error): StateStore {
  const methods = [...PASS_WRITES, 'readAll', 'get', 'meta', 'lock'];
  return Object.fromEntries(
    methods.map((name) => [name, () => Promise.reject(failWith(name))]),
  ) as unknown as StateStore;
}

const readOnly = () => new StateError('STATE_READ_ONLY', 'the state store db is on a read-only server');
const unwritable = () =>
  new StateWriteError('STATE_UNWRITABLE', 'cannot write state file /s/prod/silver.json: permission denied');

/** Calls `name` on the watched store with no arguments, and returns what it was refused with. */
async function refusal(store: StateStore, name: string): Promise<unknown> {
  const method = (store as unknown as Record<string, () => Promise<unknown>>)[name]!;
  return method().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('watchWrites', () => {
  it('STORE_WRITES, the writes it watches, is every member of StateStore that writes', () => {
    const writes = Object.entries(WRITES).filter(([, writes]) => writes !== 'none');
    expect([...STORE_WRITES].map(String).sort()).toEqual(writes.map(([name]) => name).sort());
  });

  // run-unwritable-after-call proves a directory store's STATE_UNWRITABLE as a process; a
  // PostgreSQL store refuses a write with STATE_READ_ONLY, and every write a pass makes counts.
  it.each(PASS_WRITES)(
    'remembers %s refused as the store takes no writes (STATE_READ_ONLY), and still throws it',
    async (name) => {
      const refused = readOnly();
      const watched = watchWrites(refusing(() => refused));
      expect(await refusal(watched.store, name)).toBe(refused);
      expect(watched.take()).toBe(refused);
      // Taken: forgotten, so that a later pass does not fail with it again.
      expect(watched.take()).toBeUndefined();
    },
  );

  it('keeps the first such failure of a pass, STATE_UNWRITABLE too', async () => {
    const first = unwritable();
    const errors = [first, readOnly()];
    const watched = watchWrites(refusing(() => errors.shift()!));
    expect(await refusal(watched.store, 'resolveIntent')).toBe(first);
    await refusal(watched.store, 'put');
    expect(watched.take()).toBe(first);
  });

  it('remembers neither a read refused so, nor a write refused for another reason (the lock, a changed record)', async () => {
    const otherwise: Record<string, Error> = {
      put: new StateLockedError('STATE_LOCKED', 'the state store is locked by another process'),
      replaceIfUnchanged: new StateError('STATE_CONFLICT', 'prod/gold changed since it was read'),
    };
    const watched = watchWrites(refusing((name) => otherwise[name] ?? unwritable()));
    for (const name of ['readAll', 'get', 'meta', 'lock', 'put', 'replaceIfUnchanged'])
      expect(await refusal(watched.store, name)).toBeInstanceOf(StateError);
    expect(watched.take()).toBeUndefined();
  });
});
