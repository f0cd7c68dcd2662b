import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCli } from '../helpers/cli.js';
import { aRecord } from './helpers.js';
import { spawnFixture, type Child } from './spawn.js';

// Review cli-40, gap 3: apply and the other state commands say "Took over a stale state
// lock held by …" when they take over a dead holder's lock (docs/state.md: a takeover is
// announced); `state migrate` took it over silently, so an operator who migrates after a
// crashed apply is never told that apply had died holding the store.
const children: Child[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('state migrate from a store whose lock a dead process holds', () => {
  it('takes the lock over and says so, naming the dead holder', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'migrate-takeover-'));
    dirs.push(root);
    const from = path.join(root, 'from');
    const seed = await openStateStore(from);
    await seed.lock();
    await seed.put(aRecord('gold'));
    await seed.close();
    const holder = spawnFixture('holder.mjs', [from]);
    children.push(holder);
    await holder.waitFor(/^locked/);
    await holder.kill();

    const result = await runCli(['state', 'migrate', '--from', from, '--to', path.join(root, 'to')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Copied 1 audience(s)');
    // Named by the store it is of: a migrate locks two.
    const takeover = `${from}: Took over a stale state lock held by pid ${holder.pid} `;
    expect(result.stderr.split('\n').filter((line) => line.startsWith(takeover))).toEqual([
      expect.stringMatching(/: its process is no longer running\.$/),
    ]);
  });
});
