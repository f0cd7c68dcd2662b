import { describe, expect, it } from 'vitest';
import type { RecordedState } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { cachedReads } from './cached-reads.js';

/**
 * Every member of StateStore, and what cachedReads' view does with it: `kept` (served from the
 * copy), `through` (the store's own, called as it is), `drops` (the store's write, which drops
 * the copy) or `left out` (the view has none: no pass calls it). This spec's own claim, not
 * read from the view: cachedReads lists the members it passes one by one, so a member added to
 * StateStore, an optional one above all, would be missing from the view without a word. Here
 * it fails tsc until it is said, and the view not doing what is said fails the cases below.
 */
const MEMBERS = {
  readAll: 'kept',
  location: 'through',
  shared: 'through',
  get: 'through',
  meta: 'through',
  list: 'through',
  lock: 'through',
  unlock: 'through',
  close: 'through',
  useOrgs: 'through',
  useRevision: 'through',
  onLockLost: 'through',
  midWrite: 'through',
  put: 'drops',
  delete: 'drops',
  replaceIfUnchanged: 'drops',
  beginIntent: 'drops',
  resolveIntent: 'drops',
  releaseOrg: 'drops',
  markRevision: 'drops',
  restore: 'drops',
  init: 'drops',
  // `state forget`'s alone: no pass removes a record a manifest cannot have.
  deleteStray: 'left out',
  // The controller's, on the store it was given (controller.ts), not on its passes' view.
  hintPush: 'left out',
  listenForPushes: 'left out',
  // confirm asks the store underneath; a pass asks the view to confirm, never for versions.
  recordVersions: 'left out',
  // A saved plan's check (apply-flow.ts); a controller's pass plans afresh.
  identity: 'left out',
} satisfies Record<keyof StateStore, 'kept' | 'through' | 'drops' | 'left out'>;

type Member = keyof typeof MEMBERS;
const said = (what: (typeof MEMBERS)[Member]) =>
  (Object.keys(MEMBERS) as Member[]).filter((name) => MEMBERS[name] === what);

const state: RecordedState = {
  meta: { schemaVersion: 1, lineage: 'l-1', serial: 3, nonce: 'n-3' },
  audiences: [],
};

/** What the recording store's `name` answers: what the view asks of it to keep a copy, a word otherwise. */
function answerOf(name: Member): unknown {
  if (name === 'readAll') return state;
  if (name === 'meta') return state.meta;
  // Nobody mid-write: the view keeps what it reads.
  if (name === 'midWrite') return false;
  return `answer:${name}`;
}

/** A store with every member of StateStore, each method answering answerOf and remembering how it was called. */
function recording(): { store: StateStore; calls: Array<[Member, unknown[]]> } {
  const calls: Array<[Member, unknown[]]> = [];
  const store: Record<string, unknown> = { location: 'where', shared: true };
  for (const name of Object.keys(MEMBERS) as Member[]) {
    if (name === 'location' || name === 'shared') continue;
    store[name] = (...args: unknown[]) => {
      calls.push([name, args]);
      return Promise.resolve(answerOf(name));
    };
  }
  return { store: store as unknown as StateStore, calls };
}

const member = (view: object, name: Member) => (view as Record<Member, unknown>)[name];

describe('cachedReads, member by member', () => {
  it.each(said('through'))('%s is the store’s own, called as it is', async (name) => {
    const { store, calls } = recording();
    const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
    const own = member(store, name);
    if (typeof own !== 'function') {
      expect(member(view, name)).toBe(own);
      return;
    }
    const method = member(view, name);
    expect(typeof method).toBe('function');
    // As many as the member takes (a wrapper passes on its own parameters).
    const args = ['first', { second: 2 }, 3].slice(0, (method as () => unknown).length);
    expect(await (method as (...args: unknown[]) => unknown)(...args)).toEqual(answerOf(name));
    expect(calls).toEqual([[name, args]]);
  });

  it.each(said('drops'))(
    '%s is the store’s write, and the next readAll reads the store again',
    async (name) => {
      const { store, calls } = recording();
      const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
      await view.readAll();
      await view.readAll();
      const reads = () => calls.filter(([called]) => called === 'readAll').length;
      // Kept: the second read was served the copy.
      expect(reads()).toBe(1);

      const method = member(view, name) as (...args: unknown[]) => Promise<unknown>;
      const args = ['first', { second: 2 }, 3].slice(0, method.length);
      expect(await method(...args)).toBe(`answer:${name}`);
      expect(calls.filter(([called]) => called === name)).toEqual([[name, args]]);
      await view.readAll();
      expect(reads()).toBe(2);
    },
  );

  it.each(said('left out'))('%s is not the view’s', (name) => {
    const { store } = recording();
    expect(name in cachedReads(store, { maxAgeMs: 60_000 })).toBe(false);
  });
});
