import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { lockPath } from '../../src/state/paths.js';
import { repoRoot } from './helpers.js';
import { spawnFixture, type Child } from './spawn.js';

/**
 * A directory store whose lock names a process that was killed holding it (the fixture is added
 * to `children`, for the caller to kill after the test). Returns that pid.
 */
export async function deadHolderLock(dir: string, children: Child[]): Promise<number> {
  const holder = spawnFixture('holder.mjs', [dir]);
  children.push(holder);
  await holder.waitFor(/^locked/);
  await holder.kill();
  return holder.pid;
}

/**
 * A locker of the directory store at `dir` (whose lock a dead process left) killed (kill -9) the
 * moment it made the takeover guard: the guard is left beside the stale lock. Returns its pid.
 */
export async function killedAtGuard(dir: string): Promise<number> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'test/state/fixtures/die-at-guard.mjs'), dir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  // The kill landed mid-takeover: the guard is there, beside the stale lock.
  expect({ code, signal, out }).toMatchObject({ code: null, signal: 'SIGKILL', out: 'guard\n' });
  await stat(`${lockPath(dir)}.takeover`);
  await stat(lockPath(dir));
  return child.pid!;
}
