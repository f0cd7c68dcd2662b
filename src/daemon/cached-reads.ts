import type { StateMeta, RecordedState } from '../state/schema.js';
import type { StateStore } from '../state/store.js';

export type CachedReadsOptions = {
  /** Read everything again at least this often, whatever the serial says (the resync interval). */
  maxAgeMs: number;
  /**
   * Milliseconds on a clock that only moves forward; default performance.now. Not the
   * wall clock: stepped back an hour by NTP, a copy looked an hour younger than it was.
   */
  now?: () => number;
};

/** The store with readAll kept between passes, and a way to drop the copy. */
export type CachedReadsStore = StateStore & {
  /** The next readAll reads every record again (a pass that trusts no copy: startup, resync). */
  forget(): void;
};

/**
 * What names the store's content: lineage, serial and the nonce written with that serial.
 * The serial alone does not: a store restored from a backup and then written as often as it
 * lost is at the same serial with other records, but not with the same nonce. A store without
 * a nonce (never written, or last written by a release from before it) has no key: its reads
 * are never kept, until its next write.
 */
function keyOf(meta: StateMeta | undefined): string | undefined {
  return meta?.nonce === undefined ? undefined : `${meta.lineage}#${meta.serial}#${meta.nonce}`;
}

/**
 * The store with `readAll` kept between the controller's passes: served again while
 * the store's lineage, serial and nonce are unchanged, which costs one small read (meta)
 * instead of one per audience. Every write bumps the serial and writes a new nonce, so a
 * write by anyone else (an `audiencectl apply`, a `state forget` on a restored backup) shows
 * as a new key, even at a serial seen before; writes through this view drop the
 * copy; and the copy is read again every `maxAgeMs` in any case, and after `forget`
 * (the controller's resync passes), so that a record edited by hand, bypassing the
 * store, is seen then.
 *
 * The directory store bumps the serial BEFORE it writes the record, so a read made
 * between the two pairs the new serial with the old record, and nothing moves the
 * serial again once the record is written: kept, that copy would be served until the
 * next write or resync (a pass could start a run a second time). So a read is kept
 * only when no write can have been half done during it: no write of this view ran
 * during it, and either this view held the lock throughout (writers hold it, so no
 * other writer could run) or the store said none was under way before it
 * (`midWrite`: nobody held the lock) and the serial was unchanged after it (a writer
 * that came later bumped the serial before writing any record the read could see).
 * Any other read is returned and not kept; the next one reads again.
 */
export function cachedReads(store: StateStore, options: CachedReadsOptions): CachedReadsStore {
  const now = options.now ?? (() => performance.now());
  let cached: { key: string; at: number; state: RecordedState } | undefined;
  /** Which lock() of this view holds the lock now (a count), undefined when none does. */
  let holding: number | undefined;
  let locks = 0;
  /** Writes through this view started so far, and those not yet settled. */
  let writesStarted = 0;
  let writesRunning = 0;
  /** Counts forget(): a read that began before one is not kept. */
  let forgotten = 0;
  const dropping = <T>(write: Promise<T>): Promise<T> => {
    cached = undefined;
    writesStarted += 1;
    writesRunning += 1;
    return write.finally(() => {
      writesRunning -= 1;
      cached = undefined;
    });
  };
  return {
    location: store.location,
    shared: store.shared,
    forget: () => {
      cached = undefined;
      forgotten += 1;
    },
    async readAll() {
      // No write of this view running now, nor started by the end of the read.
      const writes = writesRunning === 0 ? writesStarted : undefined;
      const forgets = forgotten;
      const held = holding;
      const key = keyOf(await store.meta());
      if (key !== undefined && cached?.key === key && now() - cached.at < options.maxAgeMs) {
        return { meta: cached.state.meta, audiences: [...cached.state.audiences] };
      }
      const quiet = held !== undefined || (await store.midWrite?.()) === false;
      const at = now();
      const state = await store.readAll();
      const settled = held !== undefined ? holding === held : quiet && keyOf(await store.meta()) === key;
      const kept = key !== undefined && settled && writes === writesStarted && forgets === forgotten;
      cached = kept ? { key, at, state } : undefined;
      return { meta: state.meta, audiences: [...state.audiences] };
    },
    get: (sandbox, key) => store.get(sandbox, key),
    meta: () => store.meta(),
    list: () => store.list(),
    put: (record) => dropping(store.put(record)),
    delete: (sandbox, key) => dropping(store.delete(sandbox, key)),
    replaceIfUnchanged: (expected, next) => dropping(store.replaceIfUnchanged(expected, next)),
    beginIntent: (record, kind, extra) => dropping(store.beginIntent(record, kind, extra)),
    resolveIntent: (record, outcome) => dropping(store.resolveIntent(record, outcome)),
    restore: (snapshot, signal) => dropping(store.restore(snapshot, signal)),
    init: () => dropping(store.init()),
    async lock(lockOptions) {
      const info = await store.lock(lockOptions);
      holding = ++locks;
      return info;
    },
    useOrgs: (orgOf) => store.useOrgs(orgOf),
    releaseOrg: (sandbox, orgId) => dropping(store.releaseOrg(sandbox, orgId)),
    useRevision: (revision, bySandbox) => store.useRevision(revision, bySandbox),
    markRevision: (sandboxes, revision, bySandbox) =>
      dropping(store.markRevision(sandboxes, revision, bySandbox)),
    unlock: () => {
      holding = undefined;
      return store.unlock();
    },
    close: () => {
      holding = undefined;
      return store.close();
    },
    ...(store.onLockLost
      ? { onLockLost: (listener: (error: Error) => void) => store.onLockLost!(listener) }
      : {}),
    ...(store.midWrite ? { midWrite: () => store.midWrite!() } : {}),
  };
}
