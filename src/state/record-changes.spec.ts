import { describe, expect, it } from 'vitest';
import { aRecord, appliedSpec } from '../../test/state/helpers.js';
import { MAX_RUNS, applyChanges, mergeRun, normaliseRecord } from './record-changes.js';
import type { RunRecord } from './schema.js';

const run = (runId: string, status = 'SUCCESS'): RunRecord => ({
  runId,
  status,
  createdAt: 1,
  dataFilterStartTime: 0,
});

describe('record changes', () => {
  it('adds a new run first and replaces a known one in place', () => {
    expect(mergeRun([run('r1')], run('r2')).map((r) => r.runId)).toEqual(['r2', 'r1']);
    expect(mergeRun([run('r2', 'PROCESSING'), run('r1')], run('r2')).map((r) => r.status)).toEqual([
      'SUCCESS',
      'SUCCESS',
    ]);
    const full = Array.from({ length: MAX_RUNS }, (_, i) => run(`r${i}`));
    expect(mergeRun(full, run('new'))).toHaveLength(MAX_RUNS);
  });

  it('merges given fields, leaves the others, sets or clears the blocked mark', () => {
    const blocked = { code: 'X', message: 'm', at: 't' };
    const base = aRecord('gold');
    const changed = applyChanges(base, {
      audienceId: 'new',
      applied: appliedSpec('gold', 'changed'),
      blocked,
    });
    expect(changed).toEqual({ ...base, audienceId: 'new', applied: appliedSpec('gold', 'changed'), blocked });
    expect(applyChanges(changed, { blocked: null }).blocked).toBeUndefined();
    expect(applyChanges(changed, {})).toEqual(changed);
  });

  it('validates and bounds a record', () => {
    const runs = Array.from({ length: MAX_RUNS + 3 }, (_, i) => run(`r${i}`));
    expect(normaliseRecord({ ...aRecord('gold'), runs }).runs).toHaveLength(MAX_RUNS);
    expect(() => normaliseRecord({ ...aRecord('gold'), key: 7 } as never)).toThrow();
  });
});
