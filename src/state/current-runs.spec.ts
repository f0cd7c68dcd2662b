import { describe, expect, it } from 'vitest';
import { appliedSpec } from '../../test/state/helpers.js';
import { currentRuns, keptByReplace, withoutStaleFormerRuns } from './current-runs.js';
import type { AudienceRecord, RunRecord } from './schema.js';

const run = (runId: string, createdAt: number, formerAudienceId?: string): RunRecord => ({
  runId,
  status: 'SUCCESS',
  createdAt,
  dataFilterStartTime: 0,
  ...(formerAudienceId === undefined ? {} : { formerAudienceId }),
});

const APPLIED = appliedSpec('gold');

const record = (runs: RunRecord[]): AudienceRecord => ({
  schemaVersion: 1,
  sandbox: 'prod',
  key: 'gold',
  deletionPolicy: 'Orphan',
  manifestFile: 'gold.yaml',
  audienceId: 'old-id',
  operationId: 'op-1',
  applied: APPLIED,
  observed: { source: 'operation', at: '2026-12-01T00:00:00.000Z', body: {} },
  runs,
});

/** The record a replace's DELETE keeps: gold's key, policy and file, the name mark and `runs`. */
function markedRecord(runs: RunRecord[]) {
  return {
    schemaVersion: 1,
    sandbox: 'prod',
    key: 'gold',
    deletionPolicy: 'Orphan',
    manifestFile: 'gold.yaml',
    applied: APPLIED,
    runs,
  };
}

describe('keptByReplace', () => {
  it("keeps the runs created after the window's start, each marked as the deleted audience's unless marked already, and its applied spec (the name mark), nothing else of the audience", () => {
    const kept = keptByReplace(
      record([run('r3', 300), run('r2', 200, 'older-id'), run('r1', 100)]),
      'old-id',
      150,
    );
    expect(kept).toEqual(markedRecord([run('r3', 300, 'old-id'), run('r2', 200, 'older-id')]));
  });

  it('keeps the record, with its applied spec, when no run is left in the window', () => {
    const kept = keptByReplace(record([run('r1', 100), run('r0', 50, 'older-id')]), 'old-id', 100);
    expect(kept).toEqual(markedRecord([]));
  });
});

describe('withoutStaleFormerRuns', () => {
  it("drops a former audience's runs begun at or before the horizon, and keeps the audience's own", () => {
    const runs = [run('r4', 400), run('r3', 300, 'old-id'), run('r2', 200, 'old-id'), run('r1', 100)];
    expect(withoutStaleFormerRuns(runs, 200)).toEqual([
      run('r4', 400),
      run('r3', 300, 'old-id'),
      run('r1', 100),
    ]);
    expect(currentRuns({ runs: withoutStaleFormerRuns(runs, 200) })).toEqual([
      run('r4', 400),
      run('r1', 100),
    ]);
  });
});
