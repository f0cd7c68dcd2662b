import { describe, expect, it } from 'vitest';
import { StateError, StateLockedError, StateWriteError } from '../state/errors.js';
import type { StateStore } from '../state/store.js';
import { watchWrites } from './write-failures.js';

/**
 * A store whose every method fails with what `failWith` gives for its name: watchWrites only
 * wraps the store's methods, so the store here is the methods a pass calls, each refused.
 */
function refusing(failWith: (name: string) => Error): StateStore {
  const methods = [
    'put',
    'delete',
    'replaceIfUnchanged',
    'beginIntent',
    'resolveIntent',
    'releaseOrg',
    'markRevision',
    'readAll',
    'get',
    'meta',
    'lock',
  ];
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
  // run-unwritable-after-call proves a directory store's STATE_UNWRITABLE as a process; a
  // PostgreSQL store refuses a write with STATE_READ_ONLY, and every write a pass makes counts.
  it.each([
    'put',
    'delete',
    'replaceIfUnchanged',
    'beginIntent',
    'resolveIntent',
    'releaseOrg',
    'markRevision',
  ])(
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
