import { describe, expect, it } from 'vitest';
import type { AppliedRevision, SandboxMark } from '../state/schema.js';
import {
  commitsToCheck,
  markAfter,
  markCommitsToCheck,
  marksToMove,
  olderCheckout,
  type CommitRelation,
} from './older-checkout.js';
import type { Step } from './schema.js';

/**
 * A sandbox rolled back (review 30, M-2): history P -> X, X applied (mark X), then the branch
 * force-pushed back to P and P applied with --allow-older-checkout (mark P). A clone still at X
 * contains P: the mark alone lets it through; the rollback the mark remembers refuses it.
 */
const P = 'c'.repeat(40);
const X = 'b'.repeat(40);
const X2 = 'd'.repeat(40);
const MERGE = 'e'.repeat(40);
const Q = 'f'.repeat(40);
const at = (hour: number) => `2026-12-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
const rev = (commit: string, hour: number): AppliedRevision => ({ commit, committedAt: at(hour) });
const relations = (entries: Record<string, CommitRelation>) => new Map(Object.entries(entries));

function step(key: string, kind: Step['kind']): Step {
  return { id: `prod/${key}:${kind}`, sandbox: 'prod', key, kind, reason: 'test', changes: [] } as Step;
}

/** The mark after the rollback: P, rolled back from X (committed at 10) at 12:00. */
const rolledBack: SandboxMark = {
  commit: P,
  committedAt: at(9),
  rolledBackFrom: [{ commit: X, committedAt: at(10), to: P, at: at(12) }],
};

describe('markAfter: the mark an apply leaves, and the rollbacks it remembers', () => {
  it('remembers the newer mark an --allow-older-checkout apply moves back from, with when it was applied', () => {
    const markX: SandboxMark = { commit: X, committedAt: at(10), repository: 'acme/audiences' };
    const next: SandboxMark = { commit: P, committedAt: at(9), repository: 'acme/audiences' };
    expect(
      markAfter(markX, next, relations({ [X]: 'not-contained' }), { override: true, at: at(12) }),
    ).toEqual({
      commit: P,
      committedAt: at(9),
      repository: 'acme/audiences',
      rolledBackFrom: [{ commit: X, committedAt: at(10), to: P, at: at(12) }],
    });
    // Not in the clone (fetched after the force-push): committed after HEAD, so newer.
    expect(markAfter(markX, next, relations({}), { override: true, at: at(12) }).rolledBackFrom).toEqual([
      { commit: X, committedAt: at(10), to: P, at: at(12) },
    ]);
    // A mark HEAD contains is no rollback, overridden or not.
    expect(
      markAfter(markX, rev(X2, 11), relations({ [X]: 'contained' }), { override: true, at: at(12) }),
    ).toEqual(rev(X2, 11));
  });

  it('without the override, moves a mark back without remembering it (an apply that only started runs)', () => {
    const markX: SandboxMark = { commit: X, committedAt: at(10) };
    expect(
      markAfter(markX, rev(P, 9), relations({ [X]: 'not-contained' }), { override: false, at: at(12) }),
    ).toEqual(rev(P, 9));
  });

  it('keeps the rollback while the mark is a commit made before it, and drops it once one made since is applied', () => {
    // Q (committed at 11, on P's line) applied: a clone at X still contains P and Q's mark.
    expect(
      markAfter(rolledBack, rev(Q, 11), relations({ [X]: 'not-contained' }), { override: false, at: at(13) }),
    ).toEqual({
      commit: Q,
      committedAt: at(11),
      rolledBackFrom: [{ commit: X, committedAt: at(10), to: P, at: at(12) }],
    });
    // The merge of X again, committed at 13: the mark itself now refuses a clone at X.
    expect(
      markAfter(rolledBack, rev(MERGE, 13), relations({ [X]: 'contained', [P]: 'contained' }), {
        override: false,
        at: at(14),
      }),
    ).toEqual(rev(MERGE, 13));
    // Applied again from P itself: the mark stays, its rollback with it.
    expect(markAfter(rolledBack, rev(P, 9), relations({}), { override: false, at: at(13) })).toEqual(
      rolledBack,
    );
  });

  it('leaves the mark where it is for a checkout of the line rolled back from, unless overridden', () => {
    expect(
      markAfter(rolledBack, rev(X, 10), relations({ [P]: 'contained' }), { override: false, at: at(13) }),
    ).toEqual(rolledBack);
    // --allow-older-checkout from the stale clone: X applied again is the newest apply.
    expect(
      markAfter(rolledBack, rev(X, 10), relations({ [P]: 'contained' }), { override: true, at: at(13) }),
    ).toEqual(rev(X, 10));
  });

  it('remembers the newest ten rollbacks, newest first', () => {
    const hex = '0123456789';
    const older = [...hex].map((digit, index) => ({
      commit: digit.repeat(40),
      committedAt: at(1),
      to: P,
      at: at(2 + index),
    }));
    const mark: SandboxMark = { commit: X, committedAt: at(10), rolledBackFrom: older };
    const after = markAfter(mark, rev(P, 0), relations({ [X]: 'not-contained' }), {
      override: true,
      at: at(20),
    });
    expect(after.rolledBackFrom?.map((rollback) => [rollback.commit.slice(0, 1), rollback.at])).toEqual([
      ['b', at(20)],
      ['0', at(2)],
      ['1', at(3)],
      ['2', at(4)],
      ['3', at(5)],
      ['4', at(6)],
      ['5', at(7)],
      ['6', at(8)],
      ['7', at(9)],
      ['8', at(10)],
    ]);
  });
});

describe('olderCheckout: a checkout of a line its sandbox was rolled back from', () => {
  const marks = { prod: rolledBack };
  const steps = [step('gold', 'create'), step('silver', 'delete'), step('bronze', 'run')];

  it('refuses the creates and undoing steps (not runs) of the commit rolled back from, and asks git about it', () => {
    const head = rev(X, 10);
    expect(commitsToCheck(steps, [], head, marks)).toEqual([P]);
    const found = olderCheckout(steps, [], head, relations({ [P]: 'contained' }), marks);
    expect(found?.audiences).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        kind: 'create',
        revision: rev(X, 10),
        why: 'rolled-back',
        rolledBack: { to: P, at: at(12) },
      },
      {
        sandbox: 'prod',
        key: 'silver',
        kind: 'delete',
        revision: rev(X, 10),
        why: 'rolled-back',
        rolledBack: { to: P, at: at(12) },
      },
    ]);
    expect(found?.note).toBe(
      `apply would refuse this plan: sandbox prod was rolled back from commit bbbbbbb (committed ${at(10)}) to ccccccc at ${at(12)}; this checkout's HEAD bbbbbbb (committed ${at(10)}, before that) contains bbbbbbb and would create prod/gold again and delete prod/silver. Fetch and check out the branch as pushed (git pull keeps the commit rolled back from) and plan from it, or apply with --allow-older-checkout`,
    );
  });

  it('refuses a later commit of that line made before the rollback, in the clone or (by commit time) not', () => {
    const head = rev(X2, 11);
    expect(commitsToCheck(steps, [], head, marks)).toEqual([X, P]);
    const known = relations({ [X]: 'contained', [P]: 'contained' });
    expect(olderCheckout(steps, [], head, known, marks)?.audiences.map((a) => [a.key, a.why])).toEqual([
      ['gold', 'rolled-back'],
      ['silver', 'rolled-back'],
    ]);
    // A shallow clone at X2: X is not in it, and was committed before X2.
    expect(olderCheckout(steps, [], head, relations({}), marks)?.audiences.map((a) => a.key)).toEqual([
      'gold',
      'silver',
    ]);
  });

  it('lets through the commit rolled back to, a commit without the one rolled back from, and one made since', () => {
    expect(olderCheckout(steps, [], rev(P, 9), relations({}), marks)).toBeUndefined();
    expect(
      olderCheckout(steps, [], rev(Q, 11), relations({ [X]: 'not-contained', [P]: 'contained' }), marks),
    ).toBeUndefined();
    // The merge of X again, committed after the rollback (its second counts as after).
    const known = relations({ [X]: 'contained', [P]: 'contained' });
    expect(olderCheckout(steps, [], rev(MERGE, 13), known, marks)).toBeUndefined();
    expect(olderCheckout(steps, [], rev(MERGE, 12), known, marks)).toBeUndefined();
  });

  it('names the newer apply first when a step is refused for that too', () => {
    const marksQ = { prod: { ...rolledBack, commit: Q, committedAt: at(11) } };
    const found = olderCheckout(
      [step('gold', 'create')],
      [],
      rev(X, 10),
      relations({ [Q]: 'not-contained' }),
      marksQ,
    );
    expect(found?.audiences.map((a) => [a.key, a.why, a.revision.commit])).toEqual([
      ['gold', 'not-contained', Q],
    ]);
  });
});

describe('marksToMove: a checkout of the line rolled back from moves no mark', () => {
  it('leaves the mark of a sandbox rolled back from HEAD, and moves it for a commit made since', () => {
    const marks = { prod: rolledBack };
    expect(markCommitsToCheck(['prod'], marks, rev(X, 10))).toEqual([P]);
    expect(marksToMove(['prod'], marks, rev(X, 10), relations({ [P]: 'contained' }))).toEqual([]);
    const known = relations({ [P]: 'contained', [X]: 'contained' });
    expect(marksToMove(['prod'], marks, rev(MERGE, 13), known)).toEqual(['prod']);
  });
});
