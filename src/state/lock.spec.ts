import { execFile } from 'node:child_process';
import { readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { FileStateStore } from './file-store.js';
import { lockPath } from './paths.js';
import { describeStale, type LockHolder } from './lock-holder.js';
import { takeoverHooks } from './lock.js';
import { thisHostTag } from '../../test/helpers/temp-names.js';

const tempDir = useTempDirs();
const open: FileStateStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.unlock()));
});

function track(store: FileStateStore): FileStateStore {
  open.push(store);
  return store;
}

/**
 * staleAfterMs for the clock-skew cases: a watch of 1 s (lock looks old) or 2 s. The test's
 * holder refreshes every 20 ms in this process, so only an event-loop stall of about a
 * second (a loaded CI machine) could let a watch see it unchanged.
 */
const SKEW_STALE_MS = 2000;

/**
 * Plays a holder on another host whose clock is `skewMs` off this one's: refreshes the
 * lock's mtime (to its own "now") every 20 ms, until stopped. Resolves `rounds` after
 * that many refreshes, having stopped by itself.
 */
function heartbeat(file: string, skewMs: number, rounds = Infinity) {
  let count = 0;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const when = new Date(Date.now() + skewMs);
      void utimes(file, when, when).catch(() => undefined);
      if (++count >= rounds) stop();
    }, 20);
    stop = () => {
      clearInterval(timer);
      resolve();
    };
  });
  return { stopped, stop };
}

async function plantLock(dir: string, holder: Partial<LockHolder>, ageMs = 0): Promise<string> {
  const file = lockPath(dir);
  const full: LockHolder = {
    pid: 4242,
    hostname: 'elsewhere',
    since: '2026-11-22T08:00:00.000Z',
    command: 'audiencectl apply',
    nonce: 'planted',
    ...holder,
  };
  await writeFile(file, JSON.stringify(full));
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
  return file;
}

/** A pid that certainly belonged to a process on this host and is now gone. */
async function deadPid(): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]);
  return Number(stdout);
}

describe('store lock', () => {
  it('refuses a second locker with who holds it, since when, and what to do', async () => {
    const dir = await tempDir();
    await track(new FileStateStore(dir)).lock({ command: 'audiencectl apply' });
    const second = new FileStateStore(dir);
    const told: string[] = [];
    // Without a timeout: refused at the first look, never waiting.
    const refused = second.lock({ onWait: () => told.push('wait'), onWatch: () => told.push('watch') });
    await expect(refused).rejects.toMatchObject({ name: 'StateLockedError', code: 'STATE_LOCKED' });
    expect(told).toEqual([]);
    const message = await refused.catch((error: Error) => error.message);
    expect(message).toContain(`pid ${process.pid} on host ${os.hostname()} (audiencectl apply) since 20`);
    expect(message).toContain('--lock-timeout');
    expect(message).toContain(lockPath(dir));
    // review 20a, L4: it waited for nothing, and said "after waiting 0.0 s".
    expect(message).not.toContain('after waiting');
  });

  it('waits up to the timeout, then says how long it waited', async () => {
    const dir = await tempDir();
    await track(new FileStateStore(dir)).lock();
    const started = Date.now();
    await expect(new FileStateStore(dir).lock({ timeoutMs: 300, pollMs: 50 })).rejects.toThrow(
      /after waiting/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('gives up a wait when its signal fires, holding nothing (review 35b, L-1)', async () => {
    const dir = await tempDir();
    const first = track(new FileStateStore(dir));
    await first.lock({ command: 'audiencectl apply' });
    const stop = new AbortController();
    const waiting = new FileStateStore(dir).lock({
      timeoutMs: 3_600_000,
      pollMs: 3_600_000,
      signal: stop.signal,
      onWait: () => stop.abort(),
    });
    const error = await waiting.then(
      () => undefined,
      (refused: unknown) => refused as { code?: string; message?: string },
    );
    expect(error?.code).toBe('STATE_LOCK_WAIT_STOPPED');
    expect(error?.message).toMatch(
      /^stopped waiting for the state lock .* \(audiencectl apply\) since .*: nothing was changed\.$/,
    );
    // The holder still holds it.
    expect(await readFile(lockPath(dir), 'utf8')).toContain('"command":"audiencectl apply"');
  });

  it('gets the lock once the holder lets go while it waits', async () => {
    const dir = await tempDir();
    const first = new FileStateStore(dir);
    await first.lock();
    setTimeout(() => void first.unlock(), 150);
    const info = await track(new FileStateStore(dir)).lock({ timeoutMs: 5000, pollMs: 20 });
    expect(info.tookOver).toBeUndefined();
  });

  it('takes over a lock whose process is dead on this host', async () => {
    const dir = await tempDir();
    const pid = await deadPid();
    await plantLock(dir, { pid, hostname: os.hostname() });
    const told: string[] = [];
    const info = await track(new FileStateStore(dir)).lock({
      // At once: a pid on this host needs no watching, whatever the lock's age.
      onWait: () => told.push('wait'),
      onWatch: () => told.push('watch'),
    });
    expect(told).toEqual([]);
    expect(info.tookOver).toMatchObject({ reason: 'dead-pid', holder: { pid } });
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock left by an earlier process with our own pid (a restarted container)', async () => {
    const dir = await tempDir();
    await plantLock(dir, { pid: process.pid, hostname: os.hostname() });
    const info = await track(new FileStateStore(dir)).lock();
    expect(info.tookOver?.reason).toBe('reused-pid');
  });

  it('records where its pid means something: the host name, machine id and pid namespace (hostTag)', async () => {
    const dir = await tempDir();
    await track(new FileStateStore(dir)).lock();
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8'))).toMatchObject({
      pid: process.pid,
      hostname: os.hostname(),
      hostTag: thisHostTag(),
    });
  });

  it('judges a lock of our pid namespace by its pid at once, dead or reused', async () => {
    const dir = await tempDir();
    const pid = await deadPid();
    await plantLock(dir, { pid, hostname: os.hostname(), hostTag: thisHostTag() });
    const first = new FileStateStore(dir);
    expect((await first.lock()).tookOver?.reason).toBe('dead-pid');
    await first.unlock();
    await plantLock(dir, { pid: process.pid, hostname: os.hostname(), hostTag: thisHostTag() });
    expect((await track(new FileStateStore(dir)).lock()).tookOver?.reason).toBe('reused-pid');
  });

  it('judges a lock of this host name in another pid namespace as one of another host (review 32, M-1)', async () => {
    const dir = await tempDir();
    // Another container sharing the volume and the host name: its dead pid, or our own pid,
    // says nothing of it. Fresh, it is refused at once (no --lock-timeout), never taken over.
    for (const pid of [await deadPid(), process.pid]) {
      await plantLock(dir, { pid, hostname: os.hostname(), hostTag: '0badf00d' });
      await expect(new FileStateStore(dir).lock()).rejects.toMatchObject({ code: 'STATE_LOCKED' });
    }
    // Refreshed while watched (by a clock two minutes behind, so it always looks abandoned):
    // alive, refused after the watch.
    const file = await plantLock(
      dir,
      { pid: process.pid, hostname: os.hostname(), hostTag: '0badf00d' },
      120_000,
    );
    const live = heartbeat(file, -120_000);
    try {
      await expect(new FileStateStore(dir).lock({ staleAfterMs: SKEW_STALE_MS, pollMs: 10 })).rejects.toThrow(
        /its holder refreshed it meanwhile: it is alive/,
      );
    } finally {
      live.stop();
    }
    // Not refreshed (its container was killed and restarted): taken over once watched.
    await plantLock(dir, { pid: process.pid, hostname: os.hostname(), hostTag: '0badf00d' }, 120_000);
    const info = await track(new FileStateStore(dir)).lock({ staleAfterMs: SKEW_STALE_MS, pollMs: 10 });
    expect(info.tookOver).toMatchObject({ reason: 'expired', holder: { hostTag: '0badf00d' } });
  });

  it('names a holder whose lock file holds line breaks on one line, never a second forged one (review 37d)', async () => {
    const dir = await tempDir();
    // Whoever can write the state directory writes the holder; the error is printed with its line breaks kept.
    await plantLock(dir, { hostname: 'elsewhere\nError: forged', command: 'audiencectl apply\r\n' });
    const refused = await new FileStateStore(dir).lock().catch((error: Error) => error);
    expect(refused).toMatchObject({ code: 'STATE_LOCKED' });
    expect((refused as Error).message).toContain(
      'pid 4242 on host elsewhere\\u000AError: forged (audiencectl apply\\u000D\\u000A) since 2026-11-22T08:00:00.000Z',
    );
  });

  it('respects a fresh lock from another host and takes over an expired one', async () => {
    const dir = await tempDir();
    await plantLock(dir, {}, 1000);
    await expect(new FileStateStore(dir).lock({ staleAfterMs: 60_000 })).rejects.toThrow(
      /pid 4242 on host elsewhere \(audiencectl apply\) since 2026-11-22T08:00:00.000Z/,
    );
    await plantLock(dir, {}, 120_000);
    // Watched (even with no --lock-timeout) until seen not to change, then taken over.
    const info = await track(new FileStateStore(dir)).lock({ staleAfterMs: SKEW_STALE_MS, pollMs: 10 });
    expect(info.tookOver?.reason).toBe('expired');
  });

  it('treats an unreadable lock file as held until it expires', async () => {
    const dir = await tempDir();
    const file = lockPath(dir);
    await writeFile(file, 'garbage');
    await expect(new FileStateStore(dir).lock()).rejects.toThrow(/unknown process/);
    const old = new Date(Date.now() - 120_000);
    await utimes(file, old, old);
    const info = await track(new FileStateStore(dir)).lock({ staleAfterMs: SKEW_STALE_MS, pollMs: 10 });
    expect(info.tookOver?.reason).toBe('expired');
  });

  it('refreshes the lock file while held, so other hosts do not judge it stale', async () => {
    const dir = await tempDir();
    await track(new FileStateStore(dir)).lock({ staleAfterMs: 200 });
    const old = new Date(Date.now() - 100_000);
    await utimes(lockPath(dir), old, old);
    // The holder touches the file again by itself (a refresh is due well before 200 ms).
    while ((await stat(lockPath(dir))).mtimeMs <= old.getTime()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await stat(lockPath(dir))).mtimeMs).toBeGreaterThan(old.getTime() + 90_000);
  });

  it('stops writing once another process has taken the lock', async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    await store.lock();
    await store.put(aRecord('gold'));
    await plantLock(dir, { nonce: 'intruder' });
    await expect(store.put(aRecord('silver'))).rejects.toMatchObject({
      code: 'STATE_LOCK_LOST',
      message: expect.stringContaining('pid 4242 on host elsewhere') as string,
    });
    expect(await store.get('prod', 'silver')).toBeUndefined();
    // A listener that comes after the loss was found is told at once.
    const told: unknown[] = [];
    store.onLockLost((error) => told.push((error as Error & { code: string }).code));
    expect(told).toEqual(['STATE_LOCK_LOST']);
    await store.unlock();
    // Not ours any more: unlock leaves it alone.
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8'))).toMatchObject({ nonce: 'intruder' });
  });

  it('stops writing once a holder on another host with the same pid has taken the lock (pid 1 in two pods)', async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    await store.lock();
    await plantLock(dir, { pid: process.pid, nonce: 'intruder' });
    await expect(store.put(aRecord('silver'))).rejects.toMatchObject({
      code: 'STATE_LOCK_LOST',
      message: expect.stringContaining(`pid ${process.pid} on host elsewhere`) as string,
    });
    expect(await store.get('prod', 'silver')).toBeUndefined();
    await store.unlock();
  });

  it('refreshes the lock often enough that a locker watching it never sees it quiet for its limit', async () => {
    const dir = await tempDir();
    // Refreshed every 100 ms; the watcher (this host's clock sees a fresh lock) would take
    // it over after 1.2 s without a change, and gives up after 1.3 s.
    await track(new FileStateStore(dir)).lock({ staleAfterMs: 400 });
    await expect(
      new FileStateStore(dir).lock({ staleAfterMs: 1_200, timeoutMs: 1_300, pollMs: 50 }),
    ).rejects.toMatchObject({ code: 'STATE_LOCKED' });
  });

  it('tells its listeners once another process has taken the lock, without waiting for a write', async () => {
    const dir = await tempDir();
    const store = track(new FileStateStore(dir));
    // Checked every 50 ms. An apply (watchLockLoss) or a controller (leadership) listening
    // stops its queued calls then: the other process may be settling its intents already.
    await store.lock({ staleAfterMs: 200 });
    const lost = new Promise<Error>((resolve) => store.onLockLost((error) => resolve(error)));
    await plantLock(dir, { nonce: 'intruder' });
    await expect(lost).resolves.toMatchObject({
      code: 'STATE_LOCK_LOST',
      message: expect.stringContaining('pid 4242 on host elsewhere') as string,
    });
  });

  it('removes the lock file on unlock', async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    await store.lock();
    await store.unlock();
    await expect(stat(lockPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    await track(new FileStateStore(dir)).lock();
  });
});

describe.concurrent('store lock: holders on another host, whose clock is not ours', () => {
  it('never takes over a refreshed lock whose mtimes are 2 minutes behind this clock', async () => {
    const dir = await tempDir();
    const file = await plantLock(dir, {}, 120_000);
    const beat = heartbeat(file, -120_000);
    try {
      const told: string[] = [];
      // No timeout: the lock looks abandoned, so it is watched, seen refreshed, and refused.
      const refused = await new FileStateStore(dir)
        .lock({
          staleAfterMs: SKEW_STALE_MS,
          pollMs: 10,
          onWatch: (holder) => told.push(`watch ${holder?.nonce}`),
          onWait: () => told.push('wait'),
        })
        .catch((error: Error & { code?: string }) => error);
      expect(refused).toMatchObject({ code: 'STATE_LOCKED' });
      expect((refused as Error).message).toMatch(
        /^the state store is locked by pid 4242 on host elsewhere \(audiencectl apply\) since 2026-11-22T08:00:00.000Z after waiting [\d.]+ s\. It looked abandoned by this host's clock, but its holder refreshed it meanwhile: it is alive/,
      );
      expect((refused as Error).message).not.toContain('\n');
      expect(told).toEqual(['watch planted']);
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ nonce: 'planted' });
    } finally {
      beat.stop();
    }
  });

  it('takes over that lock once its holder stops refreshing it, not before, and says why', async () => {
    const dir = await tempDir();
    const file = await plantLock(dir, {}, 120_000);
    const events: string[] = [];
    // Refreshed for about 2.4 s (longer than the whole stale limit), then never again.
    const beat = heartbeat(file, -120_000, 120);
    void beat.stopped.then(() => events.push('holder stopped'));
    const info = await track(new FileStateStore(dir)).lock({
      staleAfterMs: SKEW_STALE_MS,
      pollMs: 10,
      timeoutMs: 30_000,
      onWait: () => events.push('waiting'),
    });
    events.push('took over');
    expect(events).toEqual(['waiting', 'holder stopped', 'took over']);
    expect(info.tookOver).toMatchObject({ reason: 'expired', holder: { nonce: 'planted' } });
    expect(describeStale(info.tookOver!.reason, info.tookOver!.watchedMs)).toMatch(
      /^its holder stopped refreshing it \(watched unchanged for [\d.]+ s\)$/,
    );
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock whose holder, 2 minutes ahead of this clock, stopped refreshing it', async () => {
    const dir = await tempDir();
    const file = await plantLock(dir, {}, -120_000);
    // Its mtime is in the future: it looks fresh, so no timeout means refused at once...
    await expect(new FileStateStore(dir).lock({ staleAfterMs: SKEW_STALE_MS })).rejects.toMatchObject({
      code: 'STATE_LOCKED',
    });
    // ...and a waiting locker takes it over once seen unchanged for the whole stale limit.
    const info = await track(new FileStateStore(dir)).lock({
      staleAfterMs: SKEW_STALE_MS,
      pollMs: 10,
      timeoutMs: 30_000,
    });
    expect(info.tookOver).toMatchObject({ reason: 'expired', holder: { nonce: 'planted' } });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('leaves alone a takeover guard that another host keeps fresh, whatever its mtime says', async () => {
    const dir = await tempDir();
    const file = await plantLock(dir, { pid: await deadPid(), hostname: os.hostname() });
    // Another locker, its clock 2 minutes behind, is taking the dead lock over (slowly).
    const guard = `${file}.takeover`;
    await writeFile(guard, '');
    const beat = heartbeat(guard, -120_000, 20);
    const taking = new FileStateStore(dir)
      .lock({ staleAfterMs: SKEW_STALE_MS, pollMs: 10 })
      .catch((error: Error & { code?: string }) => error);
    await beat.stopped;
    // It finishes: its own lock in place of the dead one, then the guard gone.
    await plantLock(dir, { nonce: 'other-taker' });
    await unlink(guard);
    const outcome = await taking;
    expect(outcome).toMatchObject({ code: 'STATE_LOCKED' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ nonce: 'other-taker' });
  });
});

// Not in the concurrent suite above: faking Date there would step its clock too.
describe('store lock: the watch clock', () => {
  it('watches a lock on its own monotonic clock: the wall clock stepped an hour ahead does not end the watch', async () => {
    const dir = await tempDir();
    // A minute old by its mtime: it looks abandoned, and is taken over once seen unchanged
    // for half the limit (1 s) on this locker's monotonic clock.
    await plantLock(dir, {}, 60_000);
    // Only Date is faked (timers, performance and the file system stay real): stepped an
    // hour ahead the moment the locker starts watching, as an NTP correction would.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const info = await track(new FileStateStore(dir)).lock({
        staleAfterMs: SKEW_STALE_MS,
        pollMs: 10,
        onWatch: () => vi.setSystemTime(Date.now() + 3_600_000),
      });
      expect(info.tookOver).toMatchObject({ reason: 'expired', holder: { nonce: 'planted' } });
      // Watched for its half limit, not for the hour the wall clock jumped.
      expect(info.tookOver!.watchedMs).toBeGreaterThanOrEqual(SKEW_STALE_MS / 2);
      expect(info.tookOver!.watchedMs).toBeLessThan(3_600_000);
    } finally {
      vi.useRealTimers();
    }
  });
});

// Not in the concurrent suite: the hook is one for the whole process.
describe('store lock: a takeover looks at the lock again once it holds the guard', () => {
  /** Runs `change` the first time a locker holds the takeover guard of `file`; returns each guard taken. */
  async function whileTakingOver(file: string, change: () => Promise<void>, locking: () => Promise<unknown>) {
    const taken: string[] = [];
    const original = takeoverHooks.guardTaken;
    takeoverHooks.guardTaken = async (lockFile) => {
      taken.push(lockFile);
      if (lockFile === file && taken.length === 1) await change();
    };
    try {
      return { outcome: await locking().catch((error: unknown) => error), taken };
    } finally {
      takeoverHooks.guardTaken = original;
    }
  }

  it('leaves alone the lock another holder put in place of the stale one meanwhile', async () => {
    const dir = await tempDir();
    const file = await plantLock(dir, { pid: await deadPid(), hostname: os.hostname() });
    const { outcome, taken } = await whileTakingOver(
      file,
      // Another locker took the dead lock over first: its own fresh lock is there now.
      () => plantLock(dir, { nonce: 'newer' }).then(() => undefined),
      () => track(new FileStateStore(dir)).lock(),
    );
    expect(taken).toEqual([file]);
    expect(outcome).toMatchObject({
      code: 'STATE_LOCKED',
      message: expect.stringContaining('pid 4242 on host elsewhere') as string,
    });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ nonce: 'newer' });
    await expect(stat(`${file}.takeover`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('leaves alone a lock its holder refreshed meanwhile (its mtime only), and says it is alive', async () => {
    const dir = await tempDir();
    // Two minutes old: judged stale once watched unchanged for half the limit (1 s).
    const file = await plantLock(dir, {}, 120_000);
    const { outcome, taken } = await whileTakingOver(
      file,
      // Its holder, alive after all, refreshes it as its heartbeat does.
      () => utimes(file, new Date(), new Date()),
      () => track(new FileStateStore(dir)).lock({ staleAfterMs: SKEW_STALE_MS, pollMs: 10 }),
    );
    expect(taken).toEqual([file]);
    expect(outcome).toMatchObject({
      code: 'STATE_LOCKED',
      message: expect.stringContaining('its holder refreshed it meanwhile: it is alive') as string,
    });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ nonce: 'planted' });
  });
});
