import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { FileStateStore } from '../state/file-store.js';
import { recordPath } from '../state/paths.js';
import { cachedReads } from './cached-reads.js';

const tempDir = useTempDirs();

/**
 * confirm after a write of the view itself since the copy was served (a run's outcome recorded
 * before a pass's review): the written records' versions moved with it, the others' must not
 * have. One that did was planned from as the copy held it.
 */
async function servedThenWritten(): Promise<{
  dir: string;
  view: ReturnType<typeof cachedReads>;
}> {
  const dir = await tempDir();
  const store = new FileStateStore(dir);
  const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
  await view.lock();
  await view.put(aRecord('gold'));
  await view.put(aRecord('silver'));
  await view.readAll();
  // Served from the copy: the pass's read.
  await view.readAll();
  return { dir, view };
}

/** silver's record edited outside the store, validly (its serial unmoved). */
async function editSilver(dir: string): Promise<void> {
  const file = recordPath(dir, 'prod', 'silver');
  const record = JSON.parse(await readFile(file, 'utf8')) as { audienceId: string };
  await writeFile(file, `${JSON.stringify({ ...record, audienceId: 'edited-by-hand' }, null, 2)}\n`);
}

describe('cachedReads confirm after its own writes', () => {
  it('says moved when a touched record it did not write changed outside the store', async () => {
    const { dir, view } = await servedThenWritten();
    await editSilver(dir);
    await view.put(aRecord('gold', { audienceId: 'aud-run-recorded' }));
    const asked = {
      ids: [['prod', 'gold'] as [string, string], ['prod', 'silver'] as [string, string]],
      sandboxes: [],
    };
    expect(await view.confirm(asked)).toBe(true);
    // Read again: the next pass's plan is from silver as it is now.
    const silver = (await view.readAll()).audiences.find((record) => record.key === 'silver');
    expect(silver?.audienceId).toBe('edited-by-hand');
  });

  it('says unmoved when only the records it wrote changed', async () => {
    const { view } = await servedThenWritten();
    await view.put(aRecord('gold', { audienceId: 'aud-run-recorded' }));
    const asked = {
      ids: [['prod', 'gold'] as [string, string], ['prod', 'silver'] as [string, string]],
      sandboxes: ['prod'],
    };
    expect(await view.confirm(asked)).toBe(false);
  });
});
