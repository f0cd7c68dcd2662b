import { describe, expect, it } from 'vitest';
import { planOrigin } from '../../src/apply/saved-plan.js';
import { checkSavedPlan } from '../../src/apply/saved-plan-check.js';
import { plan } from '../../src/plan/plan.js';
import { Plan } from '../../src/plan/schema.js';
import { planScopeOf } from '../../src/source/file-filter.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, options } from '../helpers/planning.js';

/** Credentials that reach no sandbox: a plan's orgs are not what these cases are about. */
const noOrg = () => undefined;

/** gold in team-a and silver in team-b are recorded; gold's description was edited since. */
function setting() {
  const recorded = appliedState(
    loadTexts({ 'team-a/gold.yaml': manifestYaml('gold'), 'team-b/silver.yaml': manifestYaml('silver') }),
  );
  // What `--include "team-a/**"` reads: silver's file is not read, so silver is out of scope.
  const desired = loadTexts({
    'team-a/gold.yaml': manifestYaml('gold', { spec: { description: 'Edited' } }),
  });
  return { recorded, desired };
}

/** A plan as `plan --include ... --output json --out` saves it: through JSON, with its origin. */
function saved(include: string[], origin: { include?: string[] } = { include }) {
  const { recorded, desired } = setting();
  const scope = planScopeOf({ include });
  const made = plan(desired, recorded, options({ ...(scope ? { scope } : {}) }));
  made.origin = planOrigin({ dir: '/repo/m', sandbox: 'prod', ...origin }, desired, recorded, options());
  return Plan.parse(JSON.parse(JSON.stringify(made)));
}

describe('a saved plan made with --include/--exclude', () => {
  it('is re-planned in its own scope, so it applies', () => {
    const { recorded, desired } = setting();
    const p = saved(['team-a/**']);
    expect(p.steps.map((s) => s.id)).toEqual(['prod/gold:update']);
    expect(p.origin?.include).toEqual(['team-a/**']);
    expect(() => checkSavedPlan(p, 'p.json', desired, recorded, noOrg)).not.toThrow();
  });

  it('is still checked: a scope recorded differently from the one it was made with is refused', () => {
    const { recorded, desired } = setting();
    // The plan's steps were made in team-a's scope, but its origin says team-b (edited, or a bug).
    expect(() =>
      checkSavedPlan(saved(['team-a/**'], { include: ['team-b/**'] }), 'p.json', desired, recorded, noOrg),
    ).toThrow(/step prod\/silver:delete differs/);
    // And one that records no scope at all is re-planned over every record: silver's deletion differs too.
    expect(() => checkSavedPlan(saved(['team-a/**'], {}), 'p.json', desired, recorded, noOrg)).toThrow(
      /the plan no longer matches the manifests and state/,
    );
  });
});
