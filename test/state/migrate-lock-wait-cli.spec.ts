import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { useTempDirs } from './helpers.js';
import { escaped, holding, lockName, spawnState, storeName } from './signalled-state-cli.js';
import { spawnFixture, type Child } from './spawn.js';
import { useStores } from './stores.js';

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

      const migrate = spawnState(['migrate', '--from', source, '--to', target, '--lock-timeout', '30s']);
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

      const migrate = spawnState([
        'migrate',
        '--from',
        source,
        '--to',
        target,
        '--force',
        '--lock-timeout',
        '30s',
      ]);
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
