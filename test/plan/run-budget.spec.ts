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

  it("does not charge a replace's first run with the runs of the audience the replace deletes (review 17)", () => {
    const before = loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { onCreate: true } }) });
    const state = appliedState(before);
    // The audience being replaced ran 10 times today (the service's cap per audience).
    state.audiences[0]!.runs = Array.from({ length: 10 }, (_, i) => run(`r${i}`, 'SUCCESS', NOW - 600 - i));
    const after = loadTexts({
      'g.yaml': manifestYaml('gold', {
        metadata: { allowReplace: true },
        spec: { name: 'Audience gold renamed' },
        ingestion: { onCreate: true },
      }),
    });
    expect(kinds(plan(after, state, options()))).toEqual(['replace prod/gold', 'run prod/gold']);
    // The sandbox's budget still counts them.
    const sandbox = plan(
      after,
      state,
      options({ runBudget: { perSandboxPerDay: 10, perAudiencePerDay: 10 } }),
    );
    expect(kinds(sandbox)).toEqual(['replace prod/gold', 'run prod/gold (deferred)']);
  });
});

describe('the budget counts runs where the service counts them (review 15)', () => {
  // gold-2 holds audience aud-g; its runs are kept under other keys: gold, now holding audience
  // aud-t, keeps one as its former audience's (`state import --force`, a replace), and gold-old,
  // a runs-only record, keeps another (a rename whose runs were left there, or a kill).
  const desired = (request: string) =>
    loadTexts({
      'g.yaml': manifestYaml('gold', { spec: { name: 'Audience tin' } }),
      'g2.yaml': manifestYaml('gold-2', { ingestion: { onCreate: false, request } }),
    });
  function swapped() {
    const state = appliedState(desired('a'));
    const record = (key: string) => state.audiences.find((r) => r.key === key)!;
    const [gold, gold2] = [record('gold'), record('gold-2')];
    Object.assign(gold, { audienceId: 'aud-t', runs: [run('t-1', 'SUCCESS', NOW - 600)] });
    Object.assign(gold2, { audienceId: 'aud-g', runs: [] });
    const former = (runId: string, at: number) => ({
      ...run(runId, 'SUCCESS', at),
      formerAudienceId: 'aud-g',
    });
    gold.runs.push(former('g-1', NOW - 3_600));
    state.audiences.push({
      schemaVersion: 2,
      sandbox: 'prod',
      key: 'gold-old',
      deletionPolicy: 'Delete',
      runs: [former('g-2', NOW - 7_200), former('g-stale', NOW - DAY - 60)],
    });
    return state;
  }
  const perAudience = (n: number) => options({ runBudget: { perSandboxPerDay: 100, perAudiencePerDay: n } });

  it("counts an audience's runs kept by another key's record, as a former audience's, for the audience", () => {
    const state = swapped();
    // g-1 and g-2 count (g-stale began over a day ago): a third run fits 3, not 2.
    const two = plan(desired('b'), state, perAudience(2));
    expect(kinds(two)).toEqual(['run prod/gold-2 (deferred)']);
    expect(two.steps[0]!.deferred).toBe('audience has used its 2 runs of the last 24 h');
    expect(kinds(plan(desired('b'), state, perAudience(3)))).toEqual(['run prod/gold-2']);
  });

  it('counts a run kept under two keys once, for the sandbox and for the audience', () => {
    const state = swapped();
    // g-2 taken into gold-2 as its own, and still kept under gold-old: a kill between the two writes.
    state.audiences.find((r) => r.key === 'gold-2')!.runs = [run('g-2', 'SUCCESS', NOW - 7_200)];
    // t-1, g-1, g-2: 3 runs of the sandbox; g-1 and g-2: 2 of aud-g.
    const budget = (perSandboxPerDay: number, perAudiencePerDay: number) =>
      kinds(plan(desired('b'), state, options({ runBudget: { perSandboxPerDay, perAudiencePerDay } })));
    expect(budget(4, 3)).toEqual(['run prod/gold-2']);
    expect(budget(3, 3)).toEqual(['run prod/gold-2 (deferred)']);
    expect(budget(4, 2)).toEqual(['run prod/gold-2 (deferred)']);
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
