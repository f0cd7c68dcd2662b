import { describe, expect, it } from 'vitest';
import { afterReplaceDelete } from './current-runs.js';
import type { AudienceRecord, RunRecord } from './schema.js';

const run = (runId: string, createdAt: number, formerAudienceId?: string): RunRecord => ({
  runId,
  status: 'SUCCESS',
  createdAt,
  dataFilterStartTime: 0,
  ...(formerAudienceId === undefined ? {} : { formerAudienceId }),
});

const record = (runs: RunRecord[]): AudienceRecord => ({
  schemaVersion: 1,
  sandbox: 'prod',
  key: 'gold',
  deletionPolicy: 'Orphan',
  manifestFile: 'gold.yaml',
  audienceId: 'old-id',
  operationId: 'op-1',
  runs,
});

describe('afterReplaceDelete', () => {
  it("keeps the runs created after the window's start, each marked as the deleted audience's unless marked already, and nothing of the audience", () => {
    const kept = afterReplaceDelete(
      record([run('r3', 300), run('r2', 200, 'older-id'), run('r1', 100)]),
      'old-id',
      150,
    );
    expect(kept).toEqual({
      schemaVersion: 1,
      sandbox: 'prod',
      key: 'gold',
      deletionPolicy: 'Orphan',
      manifestFile: 'gold.yaml',
      runs: [run('r3', 300, 'old-id'), run('r2', 200, 'older-id')],
    });
  });

  it('keeps nothing when no run is left in the window: the record goes', () => {
    expect(afterReplaceDelete(record([run('r1', 100)]), 'old-id', 100)).toBeUndefined();
    expect(afterReplaceDelete(record([]), 'old-id', 0)).toBeUndefined();
  });
});
