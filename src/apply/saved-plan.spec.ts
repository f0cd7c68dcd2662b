import { describe, expect, it } from 'vitest';
import type { PlanOptions } from '../plan/plan.js';
import { planOptionsOf, savedOptions } from './saved-plan.js';

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
