import type { StateMeta, RecordedState } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import type { StateStore } from '../state/store.js';
import type { RecordVersions, VersionsAsked } from '../state/record-version.js';

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
  /**
   * When the last readAll served the copy: whether the records `touched` names (those a pass's
   * steps act on, and what deciding them read) are still as that copy holds them, told by their
   * versions now against those of the read that made the copy (StateStore.recordVersions, a stat
   * a record; one query). When one is not, every record is read again (kept as the copy, as any
   * read) and true is returned; that read throws what it throws (STATE_CORRUPT for a spoiled
   * record). A pass calls it before its first step: true, it plans again from what is there now.
   */
  confirm(touched: VersionsAsked): Promise<boolean>;
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
 *
 * A record changed outside the store (a disk fault, an editor, one file restored) moves no serial
 * either: a pass planned from the copy made its calls from the record as it was, and failed only
 * at its read after them (a spoiled record), or acted on the old record (a valid edit). Reading or
 * stamping every record before a pass's first step made one change among 10,000 audiences miss
 * its second (b562e2f8, 0007c5c8, both reverted): the copy keeps each record's version from the
 * read that made it, and `confirm` looks again only at the records a pass's steps touch.
 */
export function cachedReads(store: StateStore, options: CachedReadsOptions): CachedReadsStore {
  const now = options.now ?? (() => performance.now());
  let cached:
    { key: string; at: number; state: RecordedState; versions: RecordVersions | undefined } | undefined;
  /**
   * The versions of the copy the last readAll served, the writes of this view started by then, and
   * the records this view wrote since (their ids; `all` after a write of the whole store).
   */
  let served:
    { versions: RecordVersions | undefined; writes: number; written: Set<string> | 'all' } | undefined;
  /** Which lock() of this view holds the lock now (a count), undefined when none does. */
  let holding: number | undefined;
  let locks = 0;
  /** Writes through this view started so far, and those not yet settled. */
  let writesStarted = 0;
  let writesRunning = 0;
  /** Counts forget(): a read that began before one is not kept. */
  let forgotten = 0;
  /** `write`, of the records `ids` (none: the meta alone; `all`: the whole store), dropping the copy. */
  const dropping = <T>(write: Promise<T>, ids: readonly string[] | 'all' = []): Promise<T> => {
    if (served !== undefined && served.written !== 'all') {
      if (ids === 'all') served.written = 'all';
      else for (const id of ids) served.written.add(id);
    }
    cached = undefined;
    writesStarted += 1;
    writesRunning += 1;
    return write.finally(() => {
      writesRunning -= 1;
      cached = undefined;
    });
  };
  const forget = () => {
    cached = undefined;
    forgotten += 1;
  };
  // Member by member: what each member of StateStore is here (kept, the store's own, a write that
  // drops the copy, or left out) is said in cached-reads-members.spec.ts, which fails tsc when a
  // member added to StateStore is not said there, and fails when the view does not do as said.
  const view: CachedReadsStore = {
    location: store.location,
    shared: store.shared,
    forget,
    async confirm(touched) {
      const copy = served;
      // Read now, not served; or a store that cannot tell a record's version.
      if (copy === undefined || copy.versions === undefined || !store.recordVersions) return false;
      if (copy.writes !== writesStarted) {
        // Written through this view since (a run's outcome kept before the review): those
        // records' versions moved with that write, the others' did not. Any other touched record
        // that moved was planned from as the copy held it: plan again (it was read again, which
        // failed on a spoiled one, but the plan was not made again: run-outcome-before-review).
        const moved =
          copy.written === 'all' ||
          !sameVersions(copy.versions, await store.recordVersions(touched), touched, copy.written);
        forget();
        await view.readAll();
        return moved;
      }
      if (sameVersions(copy.versions, await store.recordVersions(touched), touched)) return false;
      forget();
      await view.readAll();
      return true;
    },
    async readAll() {
      // No write of this view running now, nor started by the end of the read.
      const writes = writesRunning === 0 ? writesStarted : undefined;
      const forgets = forgotten;
      const held = holding;
      const key = keyOf(await store.meta());
      if (key !== undefined && cached?.key === key && now() - cached.at < options.maxAgeMs) {
        served = { versions: cached.versions, writes: writesStarted, written: new Set() };
        return { meta: cached.state.meta, audiences: [...cached.state.audiences] };
      }
      served = undefined;
      const quiet = held !== undefined || (await store.midWrite?.()) === false;
      const at = now();
      // Each record's version as read (no second look): what confirm compares with. A read that
      // did not tell every record's (a store that cannot) confirms nothing.
      const read: RecordVersions = new Map();
      const state = await store.readAll({ versions: read });
      const versions = read.size === state.audiences.length ? read : undefined;
      const settled = held !== undefined ? holding === held : quiet && keyOf(await store.meta()) === key;
      const kept = key !== undefined && settled && writes === writesStarted && forgets === forgotten;
      cached = kept ? { key, at, state, versions } : undefined;
      return { meta: state.meta, audiences: [...state.audiences] };
    },
    get: (sandbox, key) => store.get(sandbox, key),
    meta: () => store.meta(),
    list: () => store.list(),
    put: (record) => dropping(store.put(record), [recordId(record.sandbox, record.key)]),
    delete: (sandbox, key) => dropping(store.delete(sandbox, key), [recordId(sandbox, key)]),
    replaceIfUnchanged: (expected, next) =>
      dropping(store.replaceIfUnchanged(expected, next), [
        recordId(expected.sandbox, expected.key),
        ...(next === undefined ? [] : [recordId(next.sandbox, next.key)]),
      ]),
    beginIntent: (record, kind, extra) =>
      dropping(store.beginIntent(record, kind, extra), [recordId(record.sandbox, record.key)]),
    resolveIntent: (record, outcome) =>
      dropping(store.resolveIntent(record, outcome), [
        recordId(record.sandbox, record.key),
        ...(outcome.kind === 'replace' ? [recordId(outcome.record.sandbox, outcome.record.key)] : []),
      ]),
    restore: (snapshot, signal) => dropping(store.restore(snapshot, signal), 'all'),
    init: () => dropping(store.init(), 'all'),
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
  return view;
}

/**
 * Whether the records `asked` names have the versions `kept` holds for them: each id asked for,
 * and every record of each sandbox asked for (none added, none gone). A record neither kept nor
 * there now is the same absence. `skip`: records whose versions moved with this view's own writes.
 */
function sameVersions(
  kept: RecordVersions,
  now: RecordVersions,
  asked: VersionsAsked,
  skip: ReadonlySet<string> = new Set(),
): boolean {
  const expected = new Map<string, string>();
  for (const [sandbox, key] of asked.ids) {
    const version = kept.get(recordId(sandbox, key));
    if (version !== undefined) expected.set(recordId(sandbox, key), version);
  }
  if (asked.sandboxes.length > 0) {
    const prefixes = asked.sandboxes.map((sandbox) => recordId(sandbox, ''));
    for (const [id, version] of kept)
      if (prefixes.some((prefix) => id.startsWith(prefix))) expected.set(id, version);
  }
  for (const id of skip) expected.delete(id);
  let counted = 0;
  for (const id of now.keys()) if (!skip.has(id)) counted += 1;
  if (expected.size !== counted) return false;
  for (const [id, version] of expected) if (now.get(id) !== version) return false;
  return true;
}
