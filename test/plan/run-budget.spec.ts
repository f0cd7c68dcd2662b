import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { RunRecord } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, NOW, options } from '../helpers/planning.js';

// The daily run budget and the one-run-at-a-time rule, at their edges.
const DAY = 86_400;

function run(runId: string, status: RunRecord['status'], createdAt: number): RunRecord {
  return { runId, status, createdAt, dataFilterStartTime: 0 };
}

describe('the per-audience budget', () => {
  it('counts failed runs of the last 24 h too: the service counts every run started', () => {
    const desired = (request: string) =>
      loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { onCreate: false, request } }) });
    const state = appliedState(desired('a'));
    state.audiences[0]!.runs = Array.from({ length: 10 }, (_, i) => run(`r${i}`, 'FAILED', NOW - 600 - i));
    const result = plan(desired('b'), state, options());
    expect(kinds(result)).toEqual(['run prod/gold (deferred)']);
    expect(result.steps[0]!.deferred).toBe('audience has used its 10 runs of the last 24 h');
  });

  it("does not count a deleted audience's runs (formerAudienceId) for the audience that replaced it, a new id; the sandbox's does", () => {
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold') });
    const state = appliedState(desired);
    // Replaced (or re-created) an hour ago; its first run not started yet.
    state.audiences[0]!.runs = Array.from({ length: 10 }, (_, i) => ({
      ...run(`r${i}`, 'SUCCESS', NOW - 3_600 - i),
      formerAudienceId: 'old-id',
    }));
    const owed = plan(desired, state, options());
    expect(kinds(owed)).toEqual(['run prod/gold']);
    expect(owed.steps[0]!.run).toEqual({ reason: 'onCreate', dataFilterStartTime: 0 });
    const sandbox = plan(
      desired,
      state,
      options({ runBudget: { perSandboxPerDay: 10, perAudiencePerDay: 10 } }),
    );
    expect(kinds(sandbox)).toEqual(['run prod/gold (deferred)']);
    expect(sandbox.steps[0]!.deferred).toBe('sandbox "prod" has used its 10 runs of the last 24 h');
  });
});

describe('the per-sandbox budget', () => {
  it('is not spent by a periodic run the plan only shows deferred (a clock behind AEP)', () => {
    const desired = (request: string) =>
      loadTexts({
        'a.yaml': manifestYaml('a', { ingestion: { onCreate: false, every: '1h' } }),
        'b.yaml': manifestYaml('b', { ingestion: { onCreate: false, request } }),
      });
    const state = appliedState(desired('x'));
    // a's last run lies in the future of a local clock 2 days behind (not measured).
    state.audiences.find((r) => r.key === 'a')!.runs = [run('r-a', 'SUCCESS', NOW - 3_600)];
    state.audiences.find((r) => r.key === 'b')!.runs = [];
    const result = plan(
      desired('y'),
      state,
      options({ now: NOW - 2 * DAY, runBudget: { perSandboxPerDay: 2, perAudiencePerDay: 10 } }),
    );
    expect(kinds(result)).toEqual(['run prod/a (deferred)', 'run prod/b']);
    expect(result.steps[1]!.run).toEqual({ reason: 'request:y', dataFilterStartTime: 0 });
  });
});

describe('a periodic run', () => {
  it('is not planned while the previous run is in progress, however long ago it started', () => {
    const desired = loadTexts({
      'g.yaml': manifestYaml('gold', { ingestion: { onCreate: false, every: '1h' } }),
    });
    const state = appliedState(desired);
    state.audiences[0]!.runs = [run('r-busy', 'PROCESSING', NOW - 7_200)];
    expect(plan(desired, state, options()).steps).toEqual([]);
    state.audiences[0]!.runs = [run('r-done', 'SUCCESS', NOW - 7_200)];
    expect(kinds(plan(desired, state, options()))).toEqual(['run prod/gold']);
  });
});
