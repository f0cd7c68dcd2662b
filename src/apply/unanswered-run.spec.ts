import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run, RunsListed } from '../aep/types.js';
import { FileStateStore } from '../state/file-store.js';
import { newRecord } from '../state/record-changes.js';
import type { AudienceRecord, Intent } from '../state/schema.js';
import { adoptUnansweredRun } from './unanswered-run.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const NOW_MS = 1_800_000_000_000;
const clock = { now: () => NOW_MS, sleep: () => Promise.resolve() };

/** A run request of 10 s ago, to `audienceId`, settled as having started none (no run listed then). */
function unanswered(audienceId: string): Intent {
  return {
    id: 'intent-1',
    kind: 'run',
    startedAt: new Date(NOW_MS - 10_000).toISOString(),
    runReason: 'request:backfill-1',
    dataFilterStartTime: 0,
    knownRunIds: [],
    listedAll: true,
    audienceId,
  };
}

const late: Run = {
  runId: 'late-run',
  createdAt: NOW_MS / 1000 - 5,
  dataFilterStartTime: 0,
  status: 'SUCCESS',
};
const listed: RunsListed = Object.assign([late], { complete: true as const });

async function stored(record: AudienceRecord): Promise<FileStateStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-unanswered-'));
  dirs.push(dir);
  const store = new FileStateStore(dir);
  await store.lock();
  await store.put(record);
  return store;
}

describe('adoptUnansweredRun', () => {
  it("adopts the run the request started on the audience it went to, for the request's reason", async () => {
    const record = { ...newRecord('prod', 'gold'), audienceId: 'aud-a', unansweredRun: unanswered('aud-a') };
    const store = await stored(record);
    const adopted = await adoptUnansweredRun(store, {}, (await store.get('prod', 'gold'))!, listed, clock);
    expect(adopted?.run).toMatchObject({ runId: 'late-run', reason: 'request:backfill-1' });
    const after = await store.get('prod', 'gold');
    expect(after?.runs.map((run) => run.runId)).toEqual(['late-run']);
    expect(after?.unansweredRun).toBeUndefined();
    await store.unlock();
  });

  it('takes no run of another audience the record names since (state import --force of another id)', async () => {
    const record = { ...newRecord('prod', 'gold'), audienceId: 'aud-b', unansweredRun: unanswered('aud-a') };
    const store = await stored(record);
    expect(
      await adoptUnansweredRun(store, {}, (await store.get('prod', 'gold'))!, listed, clock),
    ).toBeUndefined();
    expect((await store.get('prod', 'gold'))?.runs).toEqual([]);
    await store.unlock();
  });
});
