import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { silentLogger } from '../log.js';
import { FileStateStore } from '../state/file-store.js';
import { StateError, StateLockedError } from '../state/errors.js';
import { lockPath } from '../state/paths.js';
import type { StateStore } from '../state/store.js';
import { Leadership, leaderView } from './leadership.js';
import type { ErrorInfo } from './types.js';

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

describe('a replica campaigning for the lock', () => {
  it('says why its last attempt failed, unless it found the lock held, until an attempt reaches it', async () => {
    const refused = new StateError('STATE_DB_ERROR', 'the server refused this user [28000]');
    const held = new StateLockedError('STATE_LOCKED', 'the state store is locked by another replica');
    const outcomes: Array<Error | undefined> = [refused, held, refused, undefined];
    // What each attempt found of the one before it.
    const before: Array<ErrorInfo | null> = [];
    let elected!: () => void;
    const isElected = new Promise<void>((resolve) => (elected = resolve));
    const store = {
      lock: () => {
        before.push(leadership.lastError);
        const outcome = outcomes.shift();
        return outcome
          ? Promise.reject(outcome)
          : Promise.resolve({
              holder: {
                pid: 1,
                hostname: 'h',
                since: '2026-12-02T00:00:00.000Z',
                command: 'run',
                nonce: 'n',
              },
            });
      },
      unlock: () => Promise.resolve(),
    } as unknown as StateStore;
    const leadership: Leadership = new Leadership({
      store,
      logger: silentLogger(),
      pollMs: 1,
      onElected: () => elected(),
      onDeposed: () => undefined,
    });
    expect(leadership.lastError).toBeNull();
    leadership.start();
    stops.push(() => leadership.stop());
    await isElected;
    expect(before.map((error) => error?.code ?? null)).toEqual([
      null,
      'STATE_DB_ERROR',
      null,
      'STATE_DB_ERROR',
    ]);
    expect(before[1]?.message).toBe('the server refused this user [28000]');
    expect(leadership.lastError).toBeNull();
  });
});

describe('a replica finding the lock held by a leader', () => {
  it('says LEADER_OTHER_SOURCE only for a holder of another source, not a replica of its own or an apply', async () => {
    const holder = {
      pid: 7,
      hostname: 'pod-a',
      since: '2026-12-04T17:00:00.000Z',
      command: 'run',
      nonce: 'n',
    };
    const locked = (source?: string) =>
      new StateLockedError(
        'STATE_LOCKED',
        'the state store is locked',
        source === undefined ? holder : { ...holder, source },
      );
    const outcomes: Error[] = [
      locked('directory /teams/a, sandbox prod'),
      locked('directory /teams/b, sandbox prod'),
      locked(),
    ];
    const seen: Array<string | null> = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const store = {
      lock: () => {
        if (seen.length < 4) seen.push(leadership.lastError?.code ?? null);
        const outcome = outcomes.shift();
        if (!outcome) done();
        return Promise.reject(outcome ?? locked());
      },
      unlock: () => Promise.resolve(),
    } as unknown as StateStore;
    const leadership: Leadership = new Leadership({
      store,
      logger: silentLogger(),
      source: 'directory /teams/b, sandbox prod',
      pollMs: 1,
      onElected: () => undefined,
      onDeposed: () => undefined,
    });
    leadership.start();
    stops.push(() => leadership.stop());
    await finished;
    // What each attempt found of the one before: another source, a replica of its own, an apply.
    expect(seen).toEqual([null, 'LEADER_OTHER_SOURCE', null, null]);
  });
});
