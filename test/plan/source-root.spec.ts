import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, options } from '../helpers/planning.js';

/**
 * The directory a record's file is relative to (`sourceRoot`), compared by the planner with the
 * one planned (PlanOptions.sourceRoot): a record that names another, or none, gets it in a
 * record-only update (no PATCH body), so that a plan of another directory holds the audience's
 * removal while its file is there (review 27b, H2).
 */
const quiet = { ingestion: { onCreate: false } };
const texts = { 'gold.yaml': manifestYaml('gold', quiet), 'silver.yaml': manifestYaml('silver', quiet) };

function recordedWith(root: string | undefined): RecordedState {
  const state = appliedState(loadTexts(texts));
  return {
    ...state,
    audiences: state.audiences.map((record) => {
      const copy = { ...record };
      if (root === undefined) delete copy.sourceRoot;
      else copy.sourceRoot = root;
      return copy;
    }),
  };
}

describe('the directory a record says its manifest is read from', () => {
  it('as planned: nothing to do', () => {
    const result = plan(loadTexts(texts), recordedWith('teams/mkt'), options({ sourceRoot: 'teams/mkt' }));
    expect(result.steps).toEqual([]);
  });

  it('unknown to the plan (a --base plan): nothing to do, whatever the records say', () => {
    expect(plan(loadTexts(texts), recordedWith(undefined), options()).steps).toEqual([]);
    expect(plan(loadTexts(texts), recordedWith('teams/old'), options()).steps).toEqual([]);
  });

  it('none (an earlier release): a record-only update adds it', () => {
    const result = plan(loadTexts(texts), recordedWith(undefined), options({ sourceRoot: 'teams/mkt' }));
    expect(result.steps.map((step) => [step.id, step.reason, step.changes, step.patch])).toEqual([
      [
        'prod/gold:update',
        'manifest directory recorded (record only, no API call)',
        [{ path: 'manifest directory', after: 'teams/mkt', forcesReplacement: false }],
        {},
      ],
      [
        'prod/silver:update',
        'manifest directory recorded (record only, no API call)',
        [{ path: 'manifest directory', after: 'teams/mkt', forcesReplacement: false }],
        {},
      ],
    ]);
    expect(result.summary).toMatchObject({ update: 2, create: 0, delete: 0 });
  });

  it('another (git mv): the update says both, beside a change of the spec, whose PATCH carries only that', () => {
    const edited = {
      ...texts,
      'gold.yaml': manifestYaml('gold', { ...quiet, spec: { description: 'new' } }),
    };
    const result = plan(
      loadTexts(edited),
      recordedWith('teams/mkt'),
      options({ sourceRoot: 'teams/marketing' }),
    );
    const gold = result.steps.find((step) => step.key === 'gold');
    expect(gold?.changes.map((change) => [change.path, change.before, change.after])).toEqual([
      ['description', 'About gold', 'new'],
      ['manifest directory', 'teams/mkt', 'teams/marketing'],
    ]);
    expect(gold?.patch).toEqual({ description: 'new' });
    expect(result.steps.find((step) => step.key === 'silver')?.changes).toEqual([
      { path: 'manifest directory', before: 'teams/mkt', after: 'teams/marketing', forcesReplacement: false },
    ]);
  });

  it('outside git (an absolute path): recorded where none is, never in place of another', () => {
    const desired = loadTexts(texts);
    const copy = { sourceRoot: '/srv/job-2/m' };
    // A path from a git top stays: a plan in a clone can look there, once this copy is gone.
    expect(plan(desired, recordedWith('teams/mkt'), options(copy)).steps).toEqual([]);
    // Another job's copy: nothing to re-record on every job.
    expect(plan(desired, recordedWith('/srv/job-1/m'), options(copy)).steps).toEqual([]);
    const fresh = plan(desired, recordedWith(undefined), options(copy));
    expect(fresh.steps.map((step) => step.changes)).toEqual([
      [{ path: 'manifest directory', after: '/srv/job-2/m', forcesReplacement: false }],
      [{ path: 'manifest directory', after: '/srv/job-2/m', forcesReplacement: false }],
    ]);
    // And a path from a git top replaces an absolute one.
    const clone = plan(desired, recordedWith('/srv/job-1/m'), options({ sourceRoot: 'teams/mkt' }));
    expect(clone.steps.map((step) => step.reason)).toEqual([
      'manifest directory changed (record only, no API call)',
      'manifest directory changed (record only, no API call)',
    ]);
  });
});
