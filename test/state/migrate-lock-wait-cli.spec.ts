import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { CLI, type CliResult } from '../helpers/cli.js';
import { aRecord, useTempDirs } from './helpers.js';
import { spawnFixture, type Child } from './spawn.js';
import { useStores, type StoreKind } from './stores.js';

// Review 37b, M-1: `state migrate` waiting for a held lock printed nothing, and Ctrl-C or SIGTERM
// did not end the wait: it waited out the whole --lock-timeout. docs/state.md ("The lock"):
// Ctrl-C or SIGTERM ends the wait at once (exit 1, `stopped waiting for the state lock …`), on
// either store. Sent once the migrate says it waits, so the signal lands in the wait.
const stores = useStores();
const tempDir = useTempDirs();
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

/** `location`, made a store holding one record, `key`. */
async function holding(location: string, key: string): Promise<string> {
  const store = await openStateStore(location);
  await store.lock();
  await store.put(aRecord(key));
  await store.close();
  return location;
}

/** The built CLI's `state migrate`, its stderr read as it comes. */
function spawnMigrate(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'state', 'migrate', ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const wakers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of wakers) wake();
  });
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => {
      for (const wake of wakers) wake();
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  return {
    exited,
    signal: (name: NodeJS.Signals) => child.kill(name),
    /** Resolves once stderr matches `pattern`; rejects, with what it printed, if the process ends first. */
    stderrShows: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) {
            wakers.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            wakers.delete(check);
            reject(new Error(`migrate ended before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        wakers.add(check);
        check();
      }),
  };
}

/** What the messages call the store: a directory, a PostgreSQL URL without its password. */
function storeName(kind: StoreKind, location: string): string {
  return kind.name === 'directory' ? location : location.replace(/:[^:@/]*@/, '@');
}

/** What the messages call the store's lock: a directory's lock file, a PostgreSQL store's. */
function lockName(kind: StoreKind, location: string): string {
  return kind.name === 'directory' ? `${location}/lock` : `of ${storeName(kind, location)}`;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe.each(stores)('state migrate waiting for a lock ($name store held)', (kind) => {
  it(
    'says that it waits for the source, and Ctrl-C ends the wait at once, nothing made',
    { timeout: 60_000 },
    async () => {
      const source = await holding(await kind.fresh(), 'gold');
      const holder = spawnFixture('holder.mjs', [source, 'forever']);
      children.push(holder);
      await holder.waitFor(/^locked/);
      const root = await tempDir();
      const target = path.join(root, 'target');

      const migrate = spawnMigrate(['--from', source, '--to', target, '--lock-timeout', '30s']);
      const held = `held by pid ${holder.pid} on host \\S+ \\(test-holder\\) since \\S+`;
      await migrate.stderrShows(
        new RegExp(
          `^Waiting up to 30 s for the state lock of ${escaped(storeName(kind, source))}, ${held}\\.\\.\\.\n`,
        ),
      );
      migrate.signal('SIGINT');
      const ended = await migrate.exited;

      expect(ended.stderr).not.toContain('after waiting');
      expect(ended.stderr).toMatch(
        new RegExp(
          `\nError: stopped waiting for the state lock ${escaped(lockName(kind, source))}, ${held}: nothing was changed\\.\n$`,
        ),
      );
      expect(ended.code).toBe(1);
      expect(ended.stdout).toBe('');
      // The target was never touched: no folder made where there was none.
      expect(await readdir(root)).toEqual([]);
    },
  );

  it(
    'says that it waits for the target, and SIGTERM ends the wait at once',
    { timeout: 60_000 },
    async () => {
      const target = await holding(await kind.fresh(), 'gold');
      const source = await holding(path.join(await tempDir(), 'source'), 'silver');
      const holder = spawnFixture('holder.mjs', [target, 'forever']);
      children.push(holder);
      await holder.waitFor(/^locked/);

      const migrate = spawnMigrate(['--from', source, '--to', target, '--force', '--lock-timeout', '30s']);
      const held = `held by pid ${holder.pid} on host \\S+ \\(test-holder\\) since \\S+`;
      await migrate.stderrShows(
        new RegExp(
          `^Waiting up to 30 s for the state lock of ${escaped(storeName(kind, target))}, ${held}\\.\\.\\.\n`,
        ),
      );
      migrate.signal('SIGTERM');
      const ended = await migrate.exited;

      expect(ended.stderr).toMatch(
        new RegExp(
          `\nError: stopped waiting for the state lock ${escaped(lockName(kind, target))}, ${held}: nothing was changed\\.\n$`,
        ),
      );
      expect(ended.code).toBe(1);
      // The source's lock let go: another command takes it at once.
      const again = await openStateStore(source);
      await again.lock();
      expect((await again.list()).map(([, key]) => key)).toEqual(['silver']);
      await again.close();
      const kept = await openStateStore(target);
      try {
        expect((await kept.list()).map(([, key]) => key)).toEqual(['gold']);
      } finally {
        await kept.close();
      }
    },
  );
});
