import { describe, expect, it } from 'vitest';
import type { PlanOptions } from '../plan/plan.js';
import { plan } from '../plan/plan.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, options } from '../../test/helpers/planning.js';
import { assertSavedPlanDeletions, planOptionsOf, savedOptions } from './saved-plan.js';

// A saved plan is re-planned from the options it saved: every guard's setting comes back as
// it was given, or the plan applied would be checked under other guards than it was made with.

describe('the options a saved plan keeps', () => {
  it('gives back each guard setting as given', () => {
    const given: PlanOptions = {
      now: 1_790_000_000,
      allowReplace: false,
      allowMassDelete: false,
      allowEmptySource: false,
      maxDeletes: 0,
      runBudget: { perSandboxPerDay: 3, perAudiencePerDay: 1 },
      adopt: true,
    };
    expect(planOptionsOf(savedOptions(given))).toEqual({
      now: 1_790_000_000,
      allowReplace: false,
      allowMassDelete: false,
      allowEmptySource: false,
      maxDeletes: 0,
      runBudget: { perSandboxPerDay: 3, perAudiencePerDay: 1 },
      adopt: true,
    });
    const allowing: PlanOptions = {
      now: 1_790_000_000,
      allowReplace: true,
      allowMassDelete: true,
      allowEmptySource: true,
      allowMassRecreate: true,
    };
    expect(planOptionsOf(savedOptions(allowing))).toEqual({
      now: 1_790_000_000,
      allowReplace: true,
      allowMassDelete: true,
      allowEmptySource: true,
      allowMassRecreate: true,
    });
  });
});

describe('apply plan.json --max-deletes N', () => {
  it('counts a replace as a deletion, as plan does (review 32, M-2)', () => {
    const keys = ['a', 'b', 'c'];
    const source = (renamed: readonly string[]) =>
      loadTexts(
        Object.fromEntries(
          keys.map((key) => [
            `${key}.yaml`,
            manifestYaml(key, {
              ...(renamed.includes(key) ? { spec: { name: `Audience ${key} v2` } } : {}),
              ingestion: { onCreate: false },
            }),
          ]),
        ),
      );
    const saved = plan(source(['a', 'b']), appliedState(source([])), options({ allowReplace: true }));
    expect(saved.summary).toMatchObject({ replace: 2, blocked: 0 });
    expect(() => assertSavedPlanDeletions(saved, 'plan.json', 1)).toThrow(
      'plan.json deletes 2 audience(s) (prod/a:replace, ...; 2 of them replaced), more than --max-deletes 1 allows; nothing was sent to AEP or written. Raise --max-deletes to allow them, or plan again with --max-deletes 1',
    );
    expect(() => assertSavedPlanDeletions(saved, 'plan.json', 2)).not.toThrow();
    expect(() => assertSavedPlanDeletions(saved, 'plan.json', 1, true)).not.toThrow();
  });
});
