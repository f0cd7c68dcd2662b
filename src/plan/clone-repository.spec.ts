import { describe, expect, it } from 'vitest';
import { aRecord } from '../../test/state/helpers.js';
import type { RecordedState, SandboxMark } from '../state/schema.js';
import { cloneRepository, type CloneRemotes } from './clone-repository.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const at = '2026-12-01T10:00:00.000Z';

/** A store whose prod mark is `mark` and whose records name `records` (key -> repository). */
function store(mark?: SandboxMark, records: Record<string, string> = {}): RecordedState {
  return {
    meta: {
      schemaVersion: 1,
      lineage: 'l',
      serial: 1,
      ...(mark === undefined ? {} : { revisions: { prod: mark } }),
    },
    audiences: Object.entries(records).map(([key, repository]) => aRecord(key, { repository })),
  };
}

const fork: CloneRemotes = {
  repository: 'alice/audiences',
  others: [{ remote: 'upstream', repository: 'acme/audiences' }],
};
const NOTE =
  "planned as acme/audiences, the repository remote upstream names: this store has no record or sandbox mark of origin's alice/audiences";

describe('cloneRepository: the repository a clone applies as', () => {
  it("is the one upstream names when the store knows it and nothing of the clone's origin", () => {
    const marked = store({ commit: A, committedAt: at, repository: 'acme/audiences' });
    expect(cloneRepository(fork, marked)).toEqual({
      repository: 'acme/audiences',
      origin: 'alice/audiences',
      note: NOTE,
    });
    // Known by a record only (a store from before marks), or by a kept mark beneath another's.
    expect(cloneRepository(fork, store(undefined, { gold: 'acme/audiences' }))).toEqual({
      repository: 'acme/audiences',
      origin: 'alice/audiences',
      note: NOTE,
    });
    const kept = store({
      commit: B,
      committedAt: at,
      repository: 'acme/b',
      otherRepositories: [{ commit: A, committedAt: at, repository: 'acme/audiences' }],
    });
    expect(cloneRepository(fork, kept).repository).toBe('acme/audiences');
    // As records compare names: a mirror's prefix is the same repository.
    const mirrored = store({ commit: A, committedAt: at, repository: 'mirrors/acme/audiences' });
    expect(cloneRepository(fork, mirrored).repository).toBe('acme/audiences');
  });

  it('stays its own once the store knows it: two repositories sharing a store never take each other', () => {
    // B's clone has A as a remote, and both have applied: by a record of B's, by B's mark on top,
    // by B's mark kept beneath A's.
    const b: CloneRemotes = { repository: 'acme/b', others: [{ remote: 'upstream', repository: 'acme/a' }] };
    const aMark = { commit: A, committedAt: at, repository: 'acme/a' };
    expect(cloneRepository(b, store(aMark, { x: 'acme/b' }))).toEqual({ repository: 'acme/b' });
    expect(
      cloneRepository(
        b,
        store({ commit: B, committedAt: at, repository: 'acme/b', otherRepositories: [aMark] }),
      ),
    ).toEqual({ repository: 'acme/b' });
    expect(
      cloneRepository(
        b,
        store({ ...aMark, otherRepositories: [{ commit: B, committedAt: at, repository: 'acme/b' }] }),
      ),
    ).toEqual({ repository: 'acme/b' });
  });

  it('stays its own when no other remote names a repository the store knows, or several do and none is upstream', () => {
    expect(cloneRepository(fork, store())).toEqual({ repository: 'alice/audiences' });
    expect(cloneRepository(fork, { meta: undefined, audiences: [] })).toEqual({
      repository: 'alice/audiences',
    });
    const other = store({ commit: A, committedAt: at, repository: 'acme/other' });
    expect(cloneRepository(fork, other)).toEqual({ repository: 'alice/audiences' });
    const two: CloneRemotes = {
      repository: 'alice/audiences',
      others: [
        { remote: 'acme', repository: 'acme/audiences' },
        { remote: 'team', repository: 'team/audiences' },
      ],
    };
    const both = store(undefined, { gold: 'acme/audiences', silver: 'team/audiences' });
    expect(cloneRepository(two, both)).toEqual({ repository: 'alice/audiences' });
    // upstream among them decides.
    const withUpstream: CloneRemotes = {
      ...two,
      others: [...two.others, { remote: 'upstream', repository: 'team/audiences' }],
    };
    expect(cloneRepository(withUpstream, both).repository).toBe('team/audiences');
    // Two remotes naming one known repository are one candidate.
    const twice: CloneRemotes = {
      repository: 'alice/audiences',
      others: [
        { remote: 'acme', repository: 'acme/audiences' },
        { remote: 'canonical', repository: 'acme/audiences' },
      ],
    };
    expect(cloneRepository(twice, both).repository).toBe('acme/audiences');
  });

  it('knows no repository when the clone names none (nothing is recorded or compared, as before)', () => {
    expect(cloneRepository({ others: [] }, store(undefined, { gold: 'acme/audiences' }))).toEqual({});
  });
});
