import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveAudience } from '../aep/segment-types.js';
import { FileStateStore } from '../state/file-store.js';
import { newRecord } from '../state/record-changes.js';
import type { AudienceRecord, Intent } from '../state/schema.js';
import { dropSpentLateDeletes } from './late-delete.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const NOW_MS = 1_800_000_000_000;
const MINUTE = 60_000;

/** A DELETE of `audienceId` sent `minutesAgo` ago, settled as not done. */
function late(audienceId: string, minutesAgo: number): Intent {
  return {
    id: 'intent-1',
    kind: 'delete',
    startedAt: new Date(NOW_MS - minutesAgo * MINUTE).toISOString(),
    audienceId,
  };
}

async function stored(record: AudienceRecord): Promise<FileStateStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-late-delete-'));
  dirs.push(dir);
  const store = new FileStateStore(dir);
  await store.lock();
  await store.put(record);
  return store;
}

/** A service showing `shown` (ids), counting its reads. */
function service(shown: string[]) {
  const reads: string[] = [];
  return {
    reads,
    getAudience: (_sandbox: string, id: string) => {
      reads.push(id);
      return Promise.resolve(shown.includes(id) ? ({ id, name: 'Gold' } as LiveAudience) : undefined);
    },
  };
}

const marked = (audienceId: string, mark: Intent): AudienceRecord => ({
  ...newRecord('prod', 'gold'),
  audienceId,
  unansweredDelete: mark,
});

describe('dropSpentLateDeletes', () => {
  it('keeps, unread, the mark of a DELETE that may still land (sent 10 minutes ago)', async () => {
    const record = marked('aud-a', late('aud-a', 10));
    const store = await stored(record);
    const client = service(['aud-a']);
    await dropSpentLateDeletes(store, client, [record], NOW_MS, {});
    expect((await store.get('prod', 'gold'))?.unansweredDelete).toEqual(record.unansweredDelete);
    expect(client.reads).toEqual([]);
  });

  it('drops the mark of a DELETE that can no longer land once a read shows the audience still there', async () => {
    const record = marked('aud-a', late('aud-a', 60));
    const store = await stored(record);
    const client = service(['aud-a']);
    await dropSpentLateDeletes(store, client, [record], NOW_MS, {});
    expect((await store.get('prod', 'gold'))?.unansweredDelete).toBeUndefined();
    expect(client.reads).toEqual(['aud-a']);
  });

  it('keeps it while the read does not show the audience: the plan creates it again', async () => {
    const record = marked('aud-a', late('aud-a', 60));
    const store = await stored(record);
    await dropSpentLateDeletes(store, service([]), [record], NOW_MS, {});
    expect((await store.get('prod', 'gold'))?.unansweredDelete).toEqual(record.unansweredDelete);
  });

  it('keeps it when the read fails', async () => {
    const record = marked('aud-a', late('aud-a', 60));
    const store = await stored(record);
    const failing = { getAudience: () => Promise.reject(new Error('HTTP 503')) };
    await dropSpentLateDeletes(store, failing, [record], NOW_MS, {});
    expect((await store.get('prod', 'gold'))?.unansweredDelete).toEqual(record.unansweredDelete);
  });

  it('drops, unread, the mark of a DELETE sent to another audience than the record names', async () => {
    const record = marked('aud-b', late('aud-a', 1));
    const store = await stored(record);
    const client = service(['aud-b']);
    await dropSpentLateDeletes(store, client, [record], NOW_MS, {});
    expect((await store.get('prod', 'gold'))?.unansweredDelete).toBeUndefined();
    expect(client.reads).toEqual([]);
  });
});
