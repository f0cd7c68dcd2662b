import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SourceConfigError } from '../../src/source/errors.js';
import { GitSource } from '../../src/source/git-source.js';
import { lockWorkDir } from '../../src/source/work-dir-lock.js';
import { thisHostTag } from '../helpers/temp-names.js';
import { createGitFixture, type GitFixture } from './helpers/git-fixture.js';

let fx: GitFixture;
const opened: GitSource[] = [];

beforeEach(async () => {
  fx = await createGitFixture();
});
afterEach(async () => {
  for (const src of opened.splice(0)) await src.close();
  await fx.cleanup();
});

function source(): GitSource {
  const src = new GitSource({ url: fx.bare, branch: 'main', workDir: fx.workDir, allowFileUrls: true });
  opened.push(src);
  return src;
}

/** docs/controller.md: the lock file inside the work dir. */
const lockFile = () => path.join(fx.workDir, 'audiencectl.lock');

async function refusal(promise: Promise<unknown>): Promise<SourceConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceConfigError);
  expect((error as SourceConfigError).code).toBe('SOURCE_WORK_DIR_IN_USE');
  return error as SourceConfigError;
}

/** A lock file as another audiencectl would have left it. */
async function writeLock(pid: number, hostname: string, hostTag?: string): Promise<void> {
  const holder = {
    pid,
    hostname,
    ...(hostTag === undefined ? {} : { hostTag }),
    since: '2026-12-01T10:00:00.000Z',
    command: 'audiencectl run',
    nonce: 'n-1',
  };
  await mkdir(fx.workDir, { recursive: true });
  await writeFile(lockFile(), `${JSON.stringify(holder)}\n`);
}

/** The pid of a process that has exited (and was reaped): no process has it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid;
}

describe('the work dir lock of the git source', () => {
  it('refuses a second source on the same work dir until the first is closed; its checkout is untouched', async () => {
    const sha = await fx.commit({ 'a.yaml': 'a: 1\n' });
    const first = source();
    const one = await first.sync();
    const workDir = path.resolve(fx.workDir);

    const second = source();
    const error = await refusal(second.sync(undefined, { full: true }));
    expect(error.message).toMatch(
      new RegExp(
        `^--work-dir ${workDir} is used by another audiencectl \\(pid ${process.pid} on host ${os.hostname()} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\): give each controller its own --work-dir\\.$`,
      ),
    );
    expect(error.message).not.toContain('\n');
    await refusal(second.open());
    // The refused source fetched nothing and moved nothing.
    expect(await readdir(path.join(fx.workDir, 'revs'))).toEqual([sha]);
    expect(await readFile(path.join(one.dir, 'a.yaml'), 'utf8')).toBe('a: 1\n');

    await first.close();
    await expect(readFile(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const third = source();
    expect(await third.sync()).toMatchObject({ revision: sha, changed: true });
    const holder = JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number; hostname: string };
    expect(holder).toMatchObject({ pid: process.pid, hostname: os.hostname() });
  });

  it('takes over the lock of a process no longer running on this host', async () => {
    const sha = await fx.commit({ 'a.yaml': 'a: 1\n' });
    await writeLock(deadPid(), os.hostname());
    const src = source();
    expect(await src.sync()).toMatchObject({ revision: sha, changed: true });
    const holder = JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number; nonce: string };
    expect(holder.pid).toBe(process.pid);
    expect(holder.nonce).not.toBe('n-1');
  });

  it('refuses a lock of a live process on this host, and one of another host whatever its pid', async () => {
    await fx.commit({ 'a.yaml': 'a: 1\n' });
    // Pid 1 runs on every host; it is not this test.
    await writeLock(1, os.hostname());
    const live = await refusal(source().sync());
    expect(live.message).toContain(`(pid 1 on host ${os.hostname()} since 2026-12-01T10:00:00.000Z)`);

    const pid = deadPid();
    await writeLock(pid, 'elsewhere.example');
    const other = await refusal(source().open());
    expect(other.message).toBe(
      `--work-dir ${path.resolve(fx.workDir)} is used by another audiencectl (pid ${pid} on host elsewhere.example since 2026-12-01T10:00:00.000Z): ` +
        `give each controller its own --work-dir. If that process is gone for good, delete ${lockFile()}.`,
    );
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid, nonce: 'n-1' });
  });
});

describe('the work dir lock across pid namespaces of one host name (review 32, M-1)', () => {
  /** Touches the lock file (its mtime, to now) every 20 ms, as a live holder does, until stopped. */
  function refresher(): () => Promise<void> {
    let last = Promise.resolve();
    const timer = setInterval(() => {
      const now = new Date();
      last = utimes(lockFile(), now, now).catch(() => undefined);
    }, 20);
    // Stopped once its last touch landed: none may come during the next watch.
    return async () => {
      clearInterval(timer);
      await last;
    };
  }

  it('records where its pid means something, and refreshes its lock while held', async () => {
    const lock = await lockWorkDir(path.resolve(fx.workDir), 'audiencectl run', { staleAfterMs: 200 });
    try {
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({
        pid: process.pid,
        hostname: os.hostname(),
        hostTag: thisHostTag(),
      });
      const old = new Date(Date.now() - 100_000);
      await utimes(lockFile(), old, old);
      while ((await stat(lockFile())).mtimeMs <= old.getTime())
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await lock.release();
    }
  });

  it('refuses the lock of another pid namespace while it is refreshed, whatever its pid, and takes it over once it is not', async () => {
    const dir = path.resolve(fx.workDir);
    const options = { staleAfterMs: 400, pollMs: 20 };
    // Another container sharing the volume and the host name: its pid (dead here, or ours)
    // says nothing of it; its refreshes say it lives.
    for (const pid of [deadPid(), process.pid]) {
      await writeLock(pid, os.hostname(), '0badf00d');
      const stop = refresher();
      try {
        const error = await refusal(lockWorkDir(dir, 'audiencectl run', options));
        expect(error.message).toBe(
          `--work-dir ${dir} is used by another audiencectl (pid ${pid} on host ${os.hostname()} since 2026-12-01T10:00:00.000Z): ` +
            'give each controller its own --work-dir.',
        );
      } finally {
        await stop();
      }
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid, nonce: 'n-1' });
    }
    // Its container was killed and restarted: no refresh any more, taken over once watched.
    const watched: number[] = [];
    const lock = await lockWorkDir(dir, 'audiencectl run', {
      ...options,
      onWatch: (_holder, watchMs) => watched.push(watchMs),
    });
    try {
      expect(watched).toEqual([400]);
      expect(lock.tookOver).toMatchObject({ pid: process.pid, hostTag: '0badf00d', nonce: 'n-1' });
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({
        pid: process.pid,
        hostTag: thisHostTag(),
      });
    } finally {
      await lock.release();
    }
  });

  it('judges a lock of its own pid namespace by its pid at once', async () => {
    await writeLock(deadPid(), os.hostname(), thisHostTag());
    const watched: number[] = [];
    const lock = await lockWorkDir(path.resolve(fx.workDir), 'audiencectl run', {
      onWatch: (_holder, watchMs) => watched.push(watchMs),
    });
    try {
      expect(watched).toEqual([]);
      expect(lock.tookOver).toMatchObject({ nonce: 'n-1' });
    } finally {
      await lock.release();
    }
  });
});
