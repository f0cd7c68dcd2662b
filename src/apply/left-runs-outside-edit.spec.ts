import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { cachedReads } from '../daemon/cached-reads.js';
import { FileStateStore } from '../state/file-store.js';
import { recordPath } from '../state/paths.js';
import type { AudienceRecord, RunRecord } from '../state/schema.js';
import { recordRunsRead } from './left-runs.js';

const tempDir = useTempDirs();

/**
 * Pass 53's left undone (store.md, 4; d775ea55): a controller pass records the outcome of a run
 * left in progress before its review, writing the record as the copy kept since the last pass
 * held it. A valid edit of that record made outside the store since (a person, another tool) was
 * overwritten, and the pass planned from the copy. Nothing may be lost: the outcome is written
 * into the record as it is now, and the plan is made from that.
 */
const RUN: RunRecord = {
  runId: 'run-1',
  status: 'PROCESSING',
  createdAt: 1_790_000_000,
  dataFilterStartTime: 0,
};
const ENDED: RunRecord = { ...RUN, status: 'SUCCESS' };

describe("a run's outcome recorded before the review", () => {
  it('keeps an edit of the same record made outside the store since the copy was read', async () => {
    const dir = await tempDir();
    const view = cachedReads(new FileStateStore(dir), { maxAgeMs: 60_000, now: () => 0 });
    await view.lock();
    await view.put(aRecord('gold', { runs: [RUN] }));
    await view.readAll();
    // The pass's read, served from the copy.
    const recorded = await view.readAll();
    // gold's TTL set outside the store (recorded as applied, as a person who set it in the UI would).
    const file = recordPath(dir, 'prod', 'gold');
    const edited = JSON.parse(await readFile(file, 'utf8')) as AudienceRecord;
    edited.applied!.spec.ttlInDays = 40;
    edited.applied!.hash = 'edited outside the store';
    await writeFile(file, `${JSON.stringify(edited, null, 2)}\n`);

    const planned = await recordRunsRead(view, recorded, { 'prod/gold': { kind: 'read', run: ENDED } });

    const stored = JSON.parse(await readFile(file, 'utf8')) as AudienceRecord;
    expect(stored.runs).toEqual([ENDED]);
    expect(stored.applied).toMatchObject({ hash: 'edited outside the store', spec: { ttlInDays: 40 } });
    // The plan is made from the record as written.
    const gold = planned.audiences.find((record) => record.key === 'gold');
    expect(gold?.applied).toMatchObject({ hash: 'edited outside the store', spec: { ttlInDays: 40 } });
    expect(gold?.runs).toEqual([ENDED]);
    await view.unlock();
  });
});
