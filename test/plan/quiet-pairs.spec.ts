import { describe, expect, it } from 'vitest';
import type { QuietFiles } from '../../src/manifest/read-source.js';
import type { LoadResult } from '../../src/manifest/load.js';
import { recordedOfRead, splitQuiet } from '../../src/plan/quiet-pairs.js';
import { QuietRecord, type QuietRecordHead } from '../../src/state/quiet-record.js';
import type { RecordedState } from '../../src/state/schema.js';

const head: QuietRecordHead = {
  size: 1,
  mtimeMs: 1,
  ctimeMs: 1,
  ino: 1,
  sandbox: 'prod',
  key: 'a',
  audienceId: 'aud-1',
  deletionPolicy: 'Delete',
  manifestFile: 'a.yaml',
  sourceRoot: undefined,
  repository: undefined,
  hash: 'h1',
};
const EMPTY_LOAD: LoadResult = {
  manifests: [],
  diagnostics: [],
  failedFiles: [],
  held: [],
  holdAllDeletions: false,
  notes: [],
  skippedFiles: [],
  emptyFiles: [],
};

describe('the recorded state a plan of two kinds starts from (recordedOfRead)', () => {
  it('makes no paired quiet record an object: a no-change plan reads none', () => {
    let made = 0;
    const decoder = {
      decode: () => {
        made += 1;
        return {
          schemaVersion: 1 as const,
          sandbox: 'prod',
          key: 'a',
          deletionPolicy: 'Delete' as const,
          runs: [],
        };
      },
    };
    const records = { records: [new QuietRecord(head, decoder, 0, 0, 0)], at: [0] };
    const files: QuietFiles = {
      files: [
        {
          index: 0,
          relative: 'a.yaml',
          line: {
            key: 'a',
            sandbox: 'prod',
            name: 'A',
            hash: 'h1',
            deletionPolicy: 'Delete',
            file: 'a.yaml',
          },
        },
      ],
      assemble: () => EMPTY_LOAD,
    };
    const state: RecordedState = { meta: undefined, audiences: [] };
    const split = splitQuiet(files, () => EMPTY_LOAD, state, records, 'prod');
    expect(split.quiet.map((q) => q.key)).toEqual(['a']);
    expect(recordedOfRead(split, { state, quiet: records })).toBe(split.restState);
    expect(made).toBe(0);
    // Without a split (no quiet manifest to pair with): every record made an object.
    expect(recordedOfRead(undefined, { state, quiet: records })?.audiences).toHaveLength(1);
    expect(made).toBe(1);
  });
});
