import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { LoadResult } from '../../src/manifest/load.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

// A replace deletes its audience (DELETE, then a create under a new id), so the deletion limit
// counts it with the deletes (review 32, M-2): --allow-replace consents to a replacement, not to
// a mass deletion. Ten audiences a0..a9 applied: the default limit is its floor, 5.

const ALL = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9'];
const OVER = (count: number, replaced: number, max = 5) =>
  `the plan deletes ${count} audiences (${replaced} of them replaced), over the limit of ${max}; pass --allow-mass-delete (or raise --max-deletes) if that is intended`;

/** Each audience's manifest, its spec.name suffixed ` v2` (a replace) for the keys in `renamed`. */
function source(renamed: readonly string[], removed: readonly string[] = [], onCreate = false): LoadResult {
  const files: Record<string, string> = {};
  for (const key of ALL) {
    if (removed.includes(key)) continue;
    const name = renamed.includes(key) ? { spec: { name: `Audience ${key} v2` } } : {};
    files[`${key}.yaml`] = manifestYaml(key, { ...name, ingestion: { onCreate } });
  }
  return loadTexts(files);
}

const applied = (onCreate = false) => appliedState(source([], [], onCreate));

describe('replacements and the deletion limit', () => {
  it('5 replaces pass the limit of 5; 6 are all blocked, saying they are deletions', () => {
    const state = applied();
    const five = plan(source(ALL.slice(0, 5)), state, options({ allowReplace: true }));
    expect(five.summary).toMatchObject({ replace: 5, blocked: 0 });

    const six = plan(source(ALL.slice(0, 6)), state, options({ allowReplace: true }));
    expect(kinds(six)).toEqual(ALL.slice(0, 6).map((key) => `replace prod/${key} (blocked)`));
    expect(six.steps.map((step) => step.blocked)).toEqual(Array.from({ length: 6 }, () => OVER(6, 6)));
  });

  it('deletes and replaces add up: 3 of each are 6 deletions, all blocked', () => {
    const result = plan(
      source(['a0', 'a1', 'a2'], ['a7', 'a8', 'a9']),
      applied(),
      options({ allowReplace: true }),
    );
    expect(kinds(result)).toEqual([
      'replace prod/a0 (blocked)',
      'replace prod/a1 (blocked)',
      'replace prod/a2 (blocked)',
      'delete prod/a7 (blocked)',
      'delete prod/a8 (blocked)',
      'delete prod/a9 (blocked)',
    ]);
    expect(new Set(result.steps.map((step) => step.blocked))).toEqual(new Set([OVER(6, 3)]));
  });

  it('a replace blocked already (no allowReplace) deletes nothing, and is not counted', () => {
    const result = plan(source(['a0', 'a1', 'a2'], ['a5', 'a6', 'a7', 'a8', 'a9']), applied(), options());
    expect(kinds(result)).toEqual([
      'replace prod/a0 (blocked)',
      'replace prod/a1 (blocked)',
      'replace prod/a2 (blocked)',
      'delete prod/a5',
      'delete prod/a6',
      'delete prod/a7',
      'delete prod/a8',
      'delete prod/a9',
    ]);
    expect(result.steps[0]!.blocked).toBe(
      'replacement needs metadata.allowReplace: true in the manifest, or --allow-replace',
    );
  });

  it('--max-deletes 1 blocks 2 replaces; --allow-mass-delete lets them through; the plain message without replaces is unchanged', () => {
    const state = applied();
    const two = source(['a0', 'a1']);
    const capped = plan(two, state, options({ allowReplace: true, maxDeletes: 1 }));
    expect(kinds(capped)).toEqual(['replace prod/a0 (blocked)', 'replace prod/a1 (blocked)']);
    expect(capped.steps[0]!.blocked).toBe(OVER(2, 2, 1));
    const allowed = plan(two, state, options({ allowReplace: true, maxDeletes: 1, allowMassDelete: true }));
    expect(kinds(allowed)).toEqual(['replace prod/a0', 'replace prod/a1']);

    const deletes = plan(source([], ['a0', 'a1']), state, options({ maxDeletes: 1 }));
    expect(deletes.steps[0]!.blocked).toBe(
      'the plan deletes 2 audiences, over the limit of 1; pass --allow-mass-delete (or raise --max-deletes) if that is intended',
    );
  });

  it('a replace blocked by the limit plans no first run (ingestion.onCreate), as one blocked where planned', () => {
    const state = applied(true);
    const within = plan(source(['a0'], [], true), state, options({ allowReplace: true }));
    expect(kinds(within)).toEqual(['replace prod/a0', 'run prod/a0']);
    const over = plan(source(ALL.slice(0, 6), [], true), state, options({ allowReplace: true }));
    expect(kinds(over)).toEqual(ALL.slice(0, 6).map((key) => `replace prod/${key} (blocked)`));
    expect(over.summary).toMatchObject({ replace: 0, run: 0, blocked: 6 });
  });
});
