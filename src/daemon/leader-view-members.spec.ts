import { describe, expect, it } from 'vitest';
import type { StateStore } from '../state/store.js';
import { leaderView, type Leadership } from './leadership.js';

/**
 * Every member of StateStore, and what leaderView (the store as a leading replica's passes see
 * it) does with it: `through` (the store's own, called as it is), `own` (its own: the lock is
 * held for the whole term, so lock only checks leadership, unlock and close do nothing) or
 * `left out` (the view has none). This spec's own claim, as cached-reads-members.spec.ts says
 * cachedReads': leaderView lists the members it passes one by one, so a member added to
 * StateStore would be missing from it without a word. Here it fails tsc until it is said.
 */
const MEMBERS = {
  location: 'through',
  shared: 'through',
  readAll: 'through',
  get: 'through',
  meta: 'through',
  list: 'through',
  put: 'through',
  delete: 'through',
  replaceIfUnchanged: 'through',
  beginIntent: 'through',
  resolveIntent: 'through',
  restore: 'through',
  init: 'through',
  useOrgs: 'through',
  releaseOrg: 'through',
  useRevision: 'through',
  markRevision: 'through',
  midWrite: 'through',
  recordVersions: 'through',
  lock: 'own',
  unlock: 'own',
  close: 'own',
  // The Leadership watches the lock and deposes the replica (controller.ts, onDeposed).
  onLockLost: 'left out',
  // `state forget`'s alone: no pass removes a record a manifest cannot have.
  deleteStray: 'left out',
  // The controller's, on the store it was given (controller.ts), not on its passes' view.
  hintPush: 'left out',
  listenForPushes: 'left out',
  // A saved plan's check (apply-flow.ts); a controller's pass plans afresh.
  identity: 'left out',
} satisfies Record<keyof StateStore, 'through' | 'own' | 'left out'>;

type Member = keyof typeof MEMBERS;
const said = (what: (typeof MEMBERS)[Member]) =>
  (Object.keys(MEMBERS) as Member[]).filter((name) => MEMBERS[name] === what);

/** A store with every member of StateStore, each method answering `answer:<name>` and remembering how it was called. */
function recording(): { store: StateStore; calls: Array<[Member, unknown[]]> } {
  const calls: Array<[Member, unknown[]]> = [];
  const store: Record<string, unknown> = { location: 'where', shared: true };
  for (const name of Object.keys(MEMBERS) as Member[]) {
    if (name === 'location' || name === 'shared') continue;
    store[name] = (...args: unknown[]) => {
      calls.push([name, args]);
      return Promise.resolve(`answer:${name}`);
    };
  }
  return { store: store as unknown as StateStore, calls };
}

const HOLDER = { pid: 1, host: 'here', startedAt: '2026-12-07T00:00:00.000Z' };

/** Only what leaderView reads of a Leadership: its role, and the lock's holder. */
function leading(role: 'leader' | 'standby'): Leadership {
  return { role, holder: HOLDER } as unknown as Leadership;
}

const member = (view: object, name: Member) => (view as Record<Member, unknown>)[name];

describe('leaderView, member by member', () => {
  it.each(said('through'))('%s is the store’s own, called as it is', async (name) => {
    const { store, calls } = recording();
    const view = leaderView(store, leading('leader'));
    const own = member(store, name);
    if (typeof own !== 'function') {
      expect(member(view, name)).toBe(own);
      return;
    }
    const method = member(view, name);
    expect(typeof method).toBe('function');
    // As many as the member takes (a wrapper passes on its own parameters).
    const args = ['first', { second: 2 }, 3].slice(0, (method as () => unknown).length);
    expect(await (method as (...args: unknown[]) => unknown)(...args)).toBe(`answer:${name}`);
    expect(calls).toEqual([[name, args]]);
  });

  it('lock only checks leadership: the holder while leading, STATE_NOT_LEADER on standby; unlock and close do nothing', async () => {
    const { store, calls } = recording();
    expect(await leaderView(store, leading('leader')).lock()).toEqual({ holder: HOLDER });
    await expect(leaderView(store, leading('standby')).lock()).rejects.toMatchObject({
      code: 'STATE_NOT_LEADER',
    });
    await leaderView(store, leading('leader')).unlock();
    await leaderView(store, leading('leader')).close();
    expect(calls).toEqual([]);
  });

  it.each(said('left out'))('%s is not the view’s', (name) => {
    const { store } = recording();
    expect(name in leaderView(store, leading('leader'))).toBe(false);
  });
});
