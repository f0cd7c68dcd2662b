import { describe, expect, it } from 'vitest';
import { aRecord, appliedSpec } from '../../test/state/helpers.js';
import type { AppliedRevision, AudienceRecord } from '../state/schema.js';
import {
  commitsToCheck,
  keptBeneath,
  markCommitsToCheck,
  marksOfRepository,
  marksToMove,
  olderCheckout,
  type CommitRelation,
} from './older-checkout.js';
import type { Step } from './schema.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const at = (hour: number) => `2026-12-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
const rev = (commit: string, hour: number): AppliedRevision => ({ commit, committedAt: at(hour) });

function step(key: string, kind: Step['kind'], extra: Partial<Step> = {}): Step {
  return {
    id: `prod/${key}:${kind}`,
    sandbox: 'prod',
    key,
    kind,
    reason: 'test',
    changes: [],
    ...extra,
  } as Step;
}

function recorded(key: string, revision?: AppliedRevision): AudienceRecord {
  return aRecord(key, { applied: { ...appliedSpec(key), ...(revision ? { revision } : {}) } });
}

const relations = (entries: Record<string, CommitRelation>) => new Map(Object.entries(entries));

describe('olderCheckout: is this checkout older than what was applied', () => {
  const head = rev(A, 10);

  it('lets through a record applied from HEAD itself or from one of its ancestors', () => {
    const records = [recorded('x', rev(A, 10)), recorded('y', rev(B, 9))];
    const steps = [step('x', 'update'), step('y', 'delete')];
    expect(commitsToCheck(steps, records, head)).toEqual([B]);
    expect(olderCheckout(steps, records, head, relations({ [B]: 'contained' }))).toBeUndefined();
  });

  it('refuses every undoing kind whose commit HEAD does not contain, and names what undoes it', () => {
    const records = ['u', 'r', 'd', 'f', 'n', 'c'].map((key) => recorded(key, rev(B, 11)));
    const steps = [
      step('u', 'update'),
      step('r', 'replace'),
      step('d', 'delete'),
      step('f', 'forget'),
      // A run or a create undoes nothing.
      step('n', 'run'),
      step('c', 'create'),
    ];
    const found = olderCheckout(steps, records, head, relations({ [B]: 'not-contained' }));
    expect(found?.audiences.map((a) => [a.key, a.kind, a.why])).toEqual([
      ['u', 'update', 'not-contained'],
      ['r', 'replace', 'not-contained'],
      ['d', 'delete', 'not-contained'],
      ['f', 'forget', 'not-contained'],
    ]);
    expect(found?.note).toBe(
      `apply would refuse this plan: prod/u, prod/r, prod/d and 1 more were last applied from commit bbbbbbb (committed ${at(11)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
  });

  it('compares commit times for a commit git cannot place (a shallow clone)', () => {
    const records = [
      recorded('newer', rev(B, 11)),
      recorded('older', rev(C, 9)),
      recorded('same', rev(C, 10)),
    ];
    const steps = [step('newer', 'delete'), step('older', 'update'), step('same', 'update')];
    // Not asked (git failed), or said unknown: the same.
    for (const known of [relations({}), relations({ [B]: 'unknown', [C]: 'unknown' })]) {
      const found = olderCheckout(steps, records, head, known);
      expect(found?.audiences).toEqual([
        { sandbox: 'prod', key: 'newer', kind: 'delete', revision: rev(B, 11), why: 'newer' },
      ]);
      expect(found?.note).toContain(
        `prod/newer was last applied from commit bbbbbbb (committed ${at(11)}), which is not in this clone and was committed after this checkout's HEAD aaaaaaa (committed ${at(10)}).`,
      );
    }
  });

  it('refuses a commit absent from a clone that is not shallow, whatever the commit times (review 32, H-3)', () => {
    // C was committed before HEAD: by time alone (a shallow clone) it would pass.
    const records = [recorded('older', rev(C, 9))];
    const found = olderCheckout([step('older', 'update')], records, head, relations({ [C]: 'absent' }));
    expect(found?.audiences).toEqual([
      { sandbox: 'prod', key: 'older', kind: 'update', revision: rev(C, 9), why: 'not-contained' },
    ]);
    expect(
      olderCheckout([step('older', 'update')], records, head, relations({ [C]: 'unknown' })),
    ).toBeUndefined();
    // A sandbox marked with it keeps its mark: HEAD does not contain it.
    expect(marksToMove(['prod'], { prod: rev(C, 9) }, head, relations({ [C]: 'absent' }))).toEqual([]);
    expect(marksToMove(['prod'], { prod: rev(C, 9) }, head, relations({ [C]: 'unknown' }))).toEqual(['prod']);
  });

  it('never counts records without a commit, nor steps a guard blocks', () => {
    const records = [recorded('old'), recorded('guarded', rev(B, 11))];
    const steps = [step('old', 'delete'), step('guarded', 'delete', { blocked: 'mass deletion' })];
    expect(commitsToCheck(steps, records, head)).toEqual([]);
    expect(olderCheckout(steps, records, head, relations({ [B]: 'not-contained' }))).toBeUndefined();
  });

  it("counts an imported record's commit until an apply records one (an --allow-older-checkout rollback included)", () => {
    const imported = { at: at(11), revision: rev(B, 11) };
    const records = [
      aRecord('adopted', { imported }),
      // Applied from A since: A is what counts now.
      { ...recorded('rolled-back', rev(A, 10)), imported },
      // Applied outside git since: nothing newer than the import's commit is known.
      { ...recorded('outside-git'), imported },
    ];
    const steps = ['adopted', 'rolled-back', 'outside-git'].map((key) => step(key, 'delete'));
    expect(commitsToCheck(steps, records, head)).toEqual([B]);
    const found = olderCheckout(steps, records, head, relations({ [B]: 'not-contained' }));
    expect(found?.audiences.map((a) => a.key)).toEqual(['adopted', 'outside-git']);
  });

  it('asks git once a distinct commit, and names the newest commit with the others counted', () => {
    const records = [recorded('x', rev(B, 12)), recorded('y', rev(B, 12)), recorded('z', rev(C, 11))];
    const steps = [step('x', 'update'), step('y', 'delete'), step('z', 'delete')];
    expect(commitsToCheck(steps, records, head)).toEqual([B, C]);
    const found = olderCheckout(
      steps,
      records,
      head,
      relations({ [B]: 'not-contained', [C]: 'not-contained' }),
    );
    expect(found?.note).toBe(
      `apply would refuse this plan: prod/x and prod/y were last applied from commit bbbbbbb (committed ${at(12)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain; and 1 more audience(s), from 1 other such commit(s). Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
  });
});

describe('olderCheckout: creating again what a newer commit removed', () => {
  const head = rev(A, 10);
  const marks = (revision: AppliedRevision) => ({ prod: revision });

  it('refuses a create or an adoption in a sandbox last applied from a commit HEAD does not contain', () => {
    const steps = [step('y', 'create'), step('w', 'adopt'), step('n', 'run')];
    expect(commitsToCheck(steps, [], head, marks(rev(B, 11)))).toEqual([B]);
    const found = olderCheckout(steps, [], head, relations({ [B]: 'not-contained' }), marks(rev(B, 11)));
    expect(found?.audiences).toEqual([
      { sandbox: 'prod', key: 'y', kind: 'create', revision: rev(B, 11), why: 'not-contained' },
      { sandbox: 'prod', key: 'w', kind: 'adopt', revision: rev(B, 11), why: 'not-contained' },
    ]);
    expect(found?.note).toBe(
      `apply would refuse this plan: prod/y and prod/w would be created or adopted again; sandbox prod was last applied from commit bbbbbbb (committed ${at(11)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
  });

  it('lets a create through when the mark is HEAD, an ancestor, older in a shallow clone, or of another sandbox', () => {
    const steps = [step('y', 'create')];
    expect(commitsToCheck(steps, [], head, marks(head))).toEqual([]);
    expect(olderCheckout(steps, [], head, relations({}), marks(head))).toBeUndefined();
    expect(
      olderCheckout(steps, [], head, relations({ [B]: 'contained' }), marks(rev(B, 11))),
    ).toBeUndefined();
    expect(olderCheckout(steps, [], head, relations({}), marks(rev(C, 9)))).toBeUndefined();
    expect(commitsToCheck(steps, [], head, { dev: rev(B, 11) })).toEqual([]);
    expect(olderCheckout(steps, [], head, relations({ [B]: 'not-contained' }), { dev: rev(B, 11) })).toBe(
      undefined,
    );
    // A blocked create creates nothing.
    const blocked = [step('y', 'create', { blocked: 'name taken' })];
    expect(olderCheckout(blocked, [], head, relations({ [B]: 'not-contained' }), marks(rev(B, 11)))).toBe(
      undefined,
    );
  });

  it('refuses one absent from the clone by commit time, and names creates after the undoing steps', () => {
    const records = [recorded('x', rev(B, 11))];
    const steps = [step('x', 'update'), step('y', 'create')];
    const found = olderCheckout(steps, records, head, relations({}), marks(rev(B, 11)));
    expect(found?.audiences.map((a) => [a.key, a.kind, a.why])).toEqual([
      ['x', 'update', 'newer'],
      ['y', 'create', 'newer'],
    ]);
    expect(found?.note).toContain(
      `prod/x was last applied from commit bbbbbbb (committed ${at(11)}), which is not in this clone and was committed after this checkout's HEAD aaaaaaa (committed ${at(10)}); and prod/y would be created again (sandbox prod was last applied from it).`,
    );
  });
});

describe('olderCheckout: undoing what an apply that changed nothing marked (a revert applied)', () => {
  const head = rev(A, 10);

  it("checks an undoing step against its sandbox's mark too, naming its record's commit when both are newer", () => {
    // x and y applied from C (an ancestor of HEAD); a revert applied since at B changed nothing.
    const records = [recorded('x', rev(C, 9)), recorded('y', rev(B, 11)), recorded('z', rev(C, 9))];
    const steps = [step('x', 'delete'), step('y', 'update'), step('z', 'run')];
    const marks = { prod: rev(B, 11) };
    expect(commitsToCheck(steps, records, head, marks)).toEqual([B, C]);
    const known = relations({ [B]: 'not-contained', [C]: 'contained' });
    const found = olderCheckout(steps, records, head, known, marks);
    expect(found?.audiences).toEqual([
      { sandbox: 'prod', key: 'x', kind: 'delete', revision: rev(B, 11), why: 'not-contained' },
      { sandbox: 'prod', key: 'y', kind: 'update', revision: rev(B, 11), why: 'not-contained' },
    ]);
    expect(found?.note).toBe(
      `apply would refuse this plan: prod/x and prod/y were last applied from commit bbbbbbb (committed ${at(11)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
    // Its record's commit newer than the mark (an --allow-older-checkout rollback marked C since).
    const rolledBack = olderCheckout(steps, records, head, known, { prod: rev(C, 9) });
    expect(rolledBack?.audiences).toEqual([
      { sandbox: 'prod', key: 'y', kind: 'update', revision: rev(B, 11), why: 'not-contained' },
    ]);
  });

  it('lets a removal through when its sandbox mark is HEAD, an ancestor, older in a shallow clone, or of another sandbox', () => {
    const records = [recorded('x', rev(C, 9))];
    const steps = [step('x', 'delete')];
    const known = relations({ [C]: 'contained' });
    expect(olderCheckout(steps, records, head, known, { prod: head })).toBeUndefined();
    expect(
      olderCheckout(steps, records, head, relations({ [C]: 'contained', [B]: 'contained' }), {
        prod: rev(B, 11),
      }),
    ).toBeUndefined();
    expect(olderCheckout(steps, records, head, known, { prod: rev(B, 9) })).toBeUndefined();
    expect(olderCheckout(steps, records, head, known, { dev: rev(B, 11) })).toBeUndefined();
    // Not in the clone and committed after HEAD: refused by time.
    expect(olderCheckout(steps, records, head, known, { prod: rev(B, 11) })?.audiences).toEqual([
      { sandbox: 'prod', key: 'x', kind: 'delete', revision: rev(B, 11), why: 'newer' },
    ]);
  });
});

describe("olderCheckout: this repository's mark kept beneath another repository's", () => {
  const head = rev(A, 10);
  const ownB = { ...rev(B, 11), repository: 'acme/a' };
  // acme/a applied prod from B, then acme/b from C on top; dev's mark on top is acme/a's own.
  const all = {
    prod: { ...rev(C, 12), repository: 'acme/b', otherRepositories: [ownB] },
    dev: ownB,
  };
  const inDev = (key: string, kind: Step['kind']) =>
    step(key, kind, { id: `dev/${key}:${kind}`, sandbox: 'dev' });
  const known = relations({ [B]: 'not-contained', [C]: 'not-contained' });

  it('says this repository last applied the sandbox from its kept mark, not that the sandbox was', () => {
    expect([...keptBeneath(all, 'acme/a')]).toEqual(['prod']);
    const marks = marksOfRepository(all, 'acme/a');
    const found = olderCheckout([step('y', 'create')], [], head, known, marks, keptBeneath(all, 'acme/a'));
    expect(found?.audiences).toEqual([
      { sandbox: 'prod', key: 'y', kind: 'create', revision: ownB, why: 'not-contained', keptMark: true },
    ]);
    expect(found?.note).toBe(
      `apply would refuse this plan: prod/y would be created again; this repository last applied sandbox prod from commit bbbbbbb (committed ${at(11)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
  });

  it('names a sandbox whose mark on top is its own as before, beside one whose mark is kept', () => {
    const kept = keptBeneath(all, 'acme/a');
    const marks = marksOfRepository(all, 'acme/a');
    const creates = [inDev('w', 'create'), step('y', 'create')];
    expect(olderCheckout(creates, [], head, known, marks, kept)?.note).toBe(
      `apply would refuse this plan: dev/w and prod/y would be created again; sandbox dev was last applied from commit bbbbbbb (committed ${at(11)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain, and this repository last applied sandbox prod from it. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
    const records = [
      aRecord('x', { sandbox: 'dev', applied: { ...appliedSpec('x'), revision: rev(B, 11) } }),
    ];
    const mixed = [inDev('x', 'update'), step('y', 'create')];
    expect(olderCheckout(mixed, records, head, known, marks, kept)?.note).toBe(
      `apply would refuse this plan: dev/x was last applied from commit bbbbbbb (committed ${at(11)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain; and prod/y would be created again (this repository last applied sandbox prod from it). Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
  });

  it("says the sandbox was last applied from the mark on top when it is the plan's repository's", () => {
    expect([...keptBeneath(all, 'acme/b')]).toEqual([]);
    expect([...keptBeneath(all, undefined)]).toEqual([]);
    const marks = marksOfRepository(all, 'acme/b');
    const found = olderCheckout([step('y', 'create')], [], head, known, marks, keptBeneath(all, 'acme/b'));
    expect(found?.audiences).toEqual([
      { sandbox: 'prod', key: 'y', kind: 'create', revision: all.prod, why: 'not-contained' },
    ]);
    expect(found?.note).toBe(
      `apply would refuse this plan: prod/y would be created again; sandbox prod was last applied from commit ccccccc (committed ${at(12)}), which this checkout's HEAD aaaaaaa (committed ${at(10)}) does not contain. Pull or fetch the newer commit and plan from it, or apply with --allow-older-checkout`,
    );
  });
});

describe('marksToMove: the sandboxes an apply that wrote nothing there marks with its commit', () => {
  const head = rev(A, 10);

  it('moves a mark that is absent, an ancestor of HEAD, or older in a shallow clone; keeps HEAD and newer ones', () => {
    const marks = {
      ancestor: rev(B, 9),
      at: head,
      diverged: rev(C, 12),
      shallowOlder: rev('d'.repeat(40), 8),
      shallowNewer: rev('e'.repeat(40), 11),
    };
    const sandboxes = ['unmarked', 'ancestor', 'at', 'diverged', 'shallowOlder', 'shallowNewer', 'ancestor'];
    expect(markCommitsToCheck(sandboxes, marks, head)).toEqual([B, C, 'd'.repeat(40), 'e'.repeat(40)]);
    const known = relations({ [B]: 'contained', [C]: 'not-contained' });
    expect(marksToMove(sandboxes, marks, head, known)).toEqual(['ancestor', 'shallowOlder', 'unmarked']);
    expect(markCommitsToCheck(['at'], marks, head)).toEqual([]);
    expect(marksToMove(['at'], marks, head, relations({}))).toEqual([]);
  });
});

describe('marksOfRepository: the marks a plan of one repository sharing the store is checked against', () => {
  it("keeps its own repository's marks (as clones name it) and those of none; leaves another's out", () => {
    const marks = {
      prod: { ...rev(B, 11), repository: 'acme/b' },
      dev: { ...rev(A, 10), repository: 'acme/a' },
      qa: rev(C, 9),
    };
    expect(marksOfRepository(marks, 'acme/a')).toEqual({ dev: marks.dev, qa: marks.qa });
    expect(marksOfRepository(marks, 'mirror.example/acme/a')).toEqual({ dev: marks.dev, qa: marks.qa });
    expect(marksOfRepository(marks, undefined)).toBe(marks);
    expect(marksOfRepository(undefined, 'acme/a')).toEqual({});
  });
});
