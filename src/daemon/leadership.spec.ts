import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { silentLogger } from '../log.js';
import { FileStateStore } from '../state/file-store.js';
import { lockPath } from '../state/paths.js';
import { Leadership, leaderView } from './leadership.js';

const tempDir = useTempDirs();
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('the leader view of the store', () => {
  it('refuses the lock to a leader that was deposed', async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    let elected!: () => void;
    const isElected = new Promise<void>((resolve) => (elected = resolve));
    const deposed: Error[] = [];
    const leadership = new Leadership({
      store,
      logger: silentLogger(),
      onElected: () => elected(),
      onDeposed: (error) => deposed.push(error),
    });
    leadership.start();
    stops.push(async () => {
      await leadership.stop();
      await store.close();
    });
    await isElected;
    const view = leaderView(store, leadership);
    await expect(view.lock()).resolves.toMatchObject({ holder: { pid: process.pid } });
    // Another process takes the lock over; the leader finds out at its next write.
    await writeFile(
      lockPath(dir),
      JSON.stringify({
        pid: 4242,
        hostname: 'elsewhere',
        since: '2026-11-22T08:00:00.000Z',
        command: 'audiencectl run',
        nonce: 'intruder',
      }),
    );
    await expect(store.put(aRecord('gold'))).rejects.toMatchObject({ code: 'STATE_LOCK_LOST' });
    expect(leadership.role).toBe('standby');
    expect(deposed).toHaveLength(1);
    await expect(view.lock()).rejects.toMatchObject({ code: 'STATE_NOT_LEADER' });
  });
});
