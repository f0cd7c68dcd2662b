import { describe, expect, it } from 'vitest';
import { marksOfRepository } from '../plan/older-checkout.js';
import { sameMarkRepository, withRevision, type SandboxRevisions } from './sandbox-revisions.js';

/**
 * A sandbox keeps the last mark of each repository that applied to it (docs/state.md, "Which
 * commit was applied"): the newest on top, as an earlier release reads it, the others'
 * beside it (otherRepositories), and a plan of a repository is checked against its own.
 */
const A1 = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const A2 = 'a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2';
const B1 = 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1';
const C1 = 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1';
const P1 = 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1';
const T1 = '2026-11-01T10:00:00.000Z';
const T2 = '2026-11-02T10:00:00.000Z';
const T3 = '2026-11-03T10:00:00.000Z';
const ROLLBACK = { commit: A2, committedAt: T2, to: A1, at: '2026-11-02T12:00:00.000Z' };

describe('withRevision: each repository keeps its last mark', () => {
  it("another repository's apply puts its mark on top and keeps the one it replaces, rollbacks included", () => {
    const a: SandboxRevisions = {
      prod: { commit: A1, committedAt: T1, repository: 'acme/a', rolledBackFrom: [ROLLBACK] },
    };
    const b = withRevision(a, 'prod', { commit: B1, committedAt: T3, repository: 'acme/b' });
    expect(b).toEqual({
      prod: {
        commit: B1,
        committedAt: T3,
        repository: 'acme/b',
        otherRepositories: [
          { commit: A1, committedAt: T1, repository: 'acme/a', rolledBackFrom: [ROLLBACK] },
        ],
      },
    });
    // A again: its new mark on top, its old one gone, B's kept.
    expect(withRevision(b, 'prod', { commit: A2, committedAt: T2, repository: 'github.com/acme/a' })).toEqual(
      {
        prod: {
          commit: A2,
          committedAt: T2,
          repository: 'github.com/acme/a',
          otherRepositories: [{ commit: B1, committedAt: T3, repository: 'acme/b' }],
        },
      },
    );
  });

  it('the same commit again writes nothing; a mark of no repository is replaced as before', () => {
    const b: SandboxRevisions = {
      prod: {
        commit: B1,
        committedAt: T3,
        repository: 'acme/b',
        otherRepositories: [{ commit: A1, committedAt: T1, repository: 'acme/a' }],
      },
    };
    expect(withRevision(b, 'prod', { commit: B1, committedAt: T3, repository: 'acme/b' })).toBe(b);
    const plain: SandboxRevisions = { prod: { commit: P1, committedAt: T1 } };
    expect(withRevision(plain, 'prod', { commit: C1, committedAt: T2, repository: 'acme/c' })).toEqual({
      prod: { commit: C1, committedAt: T2, repository: 'acme/c' },
    });
  });

  it('a mark worked out by the apply (a PostgreSQL write knows no current mark) keeps the others it carries', () => {
    const worked = {
      prod: {
        commit: B1,
        committedAt: T3,
        repository: 'acme/b',
        otherRepositories: [{ commit: A1, committedAt: T1, repository: 'acme/a' }],
      },
    };
    expect(withRevision({}, 'prod', { commit: B1, committedAt: T3, repository: 'acme/b' }, worked)).toEqual(
      worked,
    );
  });

  it('keeps at most 8 other repositories, dropping the one applied longest ago', () => {
    let marks: SandboxRevisions = {};
    for (let n = 0; n < 10; n += 1)
      marks = withRevision(marks, 'prod', {
        commit: `${n}`.repeat(40),
        committedAt: T1,
        repository: `acme/r${n}`,
      });
    expect(marks.prod?.repository).toBe('acme/r9');
    expect(marks.prod?.otherRepositories?.map((mark) => mark.repository)).toEqual([
      'acme/r8',
      'acme/r7',
      'acme/r6',
      'acme/r5',
      'acme/r4',
      'acme/r3',
      'acme/r2',
      'acme/r1',
    ]);
  });
});

describe("marksOfRepository: a plan is checked against its own repository's last mark", () => {
  const marks: SandboxRevisions = {
    prod: {
      commit: B1,
      committedAt: T3,
      repository: 'acme/b',
      otherRepositories: [
        { commit: A2, committedAt: T2, repository: 'acme/a', rolledBackFrom: [ROLLBACK] },
        { commit: C1, committedAt: T1, repository: 'acme/c' },
      ],
    },
    dev: { commit: P1, committedAt: T1 },
  };

  it("takes a repository's mark from beside another's on top", () => {
    expect(marksOfRepository(marks, 'https://github.com/acme/a')).toEqual({
      prod: { commit: A2, committedAt: T2, repository: 'acme/a', rolledBackFrom: [ROLLBACK] },
      dev: { commit: P1, committedAt: T1 },
    });
    expect(marksOfRepository(marks, 'acme/c')).toEqual({
      prod: { commit: C1, committedAt: T1, repository: 'acme/c' },
      dev: { commit: P1, committedAt: T1 },
    });
  });

  it("the top mark for its own repository; none for a repository that never applied; all when the plan's is unknown", () => {
    expect(marksOfRepository(marks, 'acme/b')).toBe(marks);
    expect(marksOfRepository(marks, 'acme/d')).toEqual({ dev: { commit: P1, committedAt: T1 } });
    expect(marksOfRepository(marks, undefined)).toBe(marks);
  });
});

describe('paths that differ by a prefix: the root commits tell two repositories from a mirror', () => {
  const R1 = 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1';
  const R2 = 'e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2';
  const subgroup = { commit: A1, committedAt: T1, repository: 'marketing/emea/audiences', roots: [R1] };

  it('sameMarkRepository: roots that share none are two repositories; unknown or shared roots, one', () => {
    const emea = { repository: 'emea/audiences', roots: [R2] };
    expect(sameMarkRepository(subgroup, emea)).toBe(false);
    expect(sameMarkRepository(subgroup, { ...emea, roots: [R2, R1] })).toBe(true);
    expect(sameMarkRepository(subgroup, { repository: 'emea/audiences' })).toBe(true);
    expect(sameMarkRepository({ repository: 'marketing/emea/audiences' }, emea)).toBe(true);
    // The same path is one repository whatever its roots (a history rewritten).
    expect(sameMarkRepository(subgroup, { repository: 'marketing/emea/audiences', roots: [R2] })).toBe(true);
    expect(sameMarkRepository(subgroup, { repository: 'acme/audiences', roots: [R1] })).toBe(false);
  });

  it("withRevision keeps the other's mark beside; marksOfRepository takes each its own", () => {
    const emea = { commit: B1, committedAt: T2, repository: 'emea/audiences', roots: [R2] };
    const marks = withRevision({ prod: subgroup }, 'prod', emea);
    expect(marks).toEqual({ prod: { ...emea, otherRepositories: [subgroup] } });
    expect(marksOfRepository(marks, 'marketing/emea/audiences', [R1])).toEqual({ prod: subgroup });
    expect(marksOfRepository(marks, 'emea/audiences', [R2])).toBe(marks);
    // A mirror's clone of the subgroup's repository (its roots) is checked against the top mark,
    // which is of its path's end: as before roots were recorded.
    expect(marksOfRepository(marks, 'mirrors/emea/audiences', [R2])).toBe(marks);
  });
});
