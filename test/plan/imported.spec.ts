import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { AudienceRecord, RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

const IMPORTED_AT = '2026-09-01T00:00:00.000Z';
const IMPORTED_SECONDS = Date.parse(IMPORTED_AT) / 1000;

/** A record as `state import` writes it: an id, no applied spec, no runs. */
function importedState(ingestionRequest?: string): RecordedState {
  const imported: AudienceRecord = {
    schemaVersion: 1,
    sandbox: 'prod',
    key: 'gold',
    audienceId: 'aud-imported',
    deletionPolicy: 'Delete',
    manifestFile: 'g.yaml',
    runs: [],
    imported: { at: IMPORTED_AT, ...(ingestionRequest === undefined ? {} : { ingestionRequest }) },
  };
  return { meta: undefined, audiences: [imported] };
}

const gold = (ingestion: Record<string, unknown>) =>
  loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { onCreate: true, ...ingestion } }) });

describe('plan: an imported audience', () => {
  it('starts no first run and honours the token seen at import', () => {
    const result = plan(gold({ request: 'r-1' }), importedState('r-1'), options());
    expect(kinds(result)).toEqual(['update prod/gold']);
    expect(result.steps[0]!.target?.ingestionRequest).toBe('r-1');
  });

  it('a token changed since the import starts one differential run from the import time, never from 0', () => {
    const result = plan(gold({ request: 'r-2' }), importedState('r-1'), options());
    expect(kinds(result)).toEqual(['update prod/gold', 'run prod/gold']);
    expect(result.steps[1]!.run).toEqual({ reason: 'request:r-2', dataFilterStartTime: IMPORTED_SECONDS });
    // The update alone does not count the new token as honoured: a deferred run stays owed.
    expect(result.steps[0]!.target?.ingestionRequest).toBe('r-1');
  });

  it('a periodic run waits a period from the import', () => {
    const every = gold({ every: '1d' });
    expect(kinds(plan(every, importedState(), options({ now: IMPORTED_SECONDS + 3600 })))).toEqual([
      'update prod/gold',
    ]);
    expect(kinds(plan(every, importedState(), options({ now: IMPORTED_SECONDS + 86_400 })))).toEqual([
      'update prod/gold',
      'run prod/gold',
    ]);
  });
});

describe('plan: an imported audience whose manifest renamed it before any apply (review 36c, M-2)', () => {
  const importedAs = (name: string): RecordedState => {
    const [record] = importedState().audiences;
    return { meta: undefined, audiences: [{ ...record!, imported: { at: IMPORTED_AT, name } }] };
  };
  const named = (name: string) =>
    loadTexts({ 'g.yaml': manifestYaml('gold', { spec: { name }, ingestion: { onCreate: false } }) });

  it('plans the rename as a replacement, held whatever allows replacing', () => {
    for (const allowReplace of [false, true]) {
      const result = plan(named('Gold v2'), importedAs('Gold'), options({ allowReplace }));
      expect(kinds(result)).toEqual(['replace prod/gold (blocked)']);
      const [step] = result.steps;
      expect(step!.changes).toEqual([
        { path: 'name', before: 'Gold', after: 'Gold v2', forcesReplacement: true },
      ]);
      expect(step!.blocked).toContain('the audience was imported as "Gold" and no apply has recorded it yet');
      expect(step!.patch).toBeUndefined();
    }
  });

  it('PATCHes it under the name it was imported as', () => {
    const result = plan(named('Gold'), importedAs('Gold'), options());
    expect(kinds(result)).toEqual(['update prod/gold']);
    expect(result.steps[0]!.blocked).toBeUndefined();
  });
});

describe('plan: an update never counts a new ingestion.request as honoured', () => {
  it('a run deferred by the budget is still planned next time', () => {
    const state = appliedState(gold({ onCreate: false, request: 'a' }));
    const changed = loadTexts({
      'g.yaml': manifestYaml('gold', {
        spec: { description: 'new' },
        ingestion: { onCreate: false, request: 'b' },
      }),
    });
    const budget = { runBudget: { perSandboxPerDay: 0, perAudiencePerDay: 0 } };
    const first = plan(changed, state, options(budget));
    expect(kinds(first)).toEqual(['update prod/gold', 'run prod/gold (deferred)']);
    // That the run is still owed after the update is applied: test/apply/replan-cases.spec.ts.
  });
});
