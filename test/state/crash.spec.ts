import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useStores } from './stores.js';
import { spawnFixture } from './spawn.js';

const stores = useStores();
const SEEDS = Array.from({ length: 24 }, (_, i) => i + 1);
/** A PostgreSQL write is one transaction: fewer seeds prove as much, each costs a process. */
const PG_SEEDS = SEEDS.slice(0, 8);

type Op = { n: number; op: 'put' | 'delete' };

/** For each key, the last acknowledged operation and the one in flight after it. */
function history(lines: string[]): Map<string, { acked?: Op; tried?: Op }> {
  const byKey = new Map<string, { acked?: Op; tried?: Op }>();
  for (const line of lines) {
    const [verb, key, n, op] = line.split(' ');
    if (!key || (verb !== 'try' && verb !== 'ack')) continue;
    const entry = byKey.get(key) ?? {};
    const parsed: Op = { n: Number(n), op: op === 'delete' ? 'delete' : 'put' };
    if (verb === 'try') entry.tried = parsed;
    else entry.acked = parsed;
    byKey.set(key, entry);
  }
  return byKey;
}

/** What the record's audienceId may be after `op`: the write's counter, or gone. */
function stateAfter(op: Op | undefined): string | undefined {
  if (!op || op.op === 'delete') return undefined;
  return String(op.n);
}

describe.each(stores)('$name store: a writer killed with SIGKILL at random instants', (kind) => {
  // Proof that the kills do land inside writes (directory: a temp file written, not yet renamed).
  let killedMidWrite = 0;
  afterAll(() => {
    if (kind.name === 'directory') expect(killedMidWrite).toBeGreaterThan(0);
  });

  it.concurrent.each(kind.name === 'directory' ? SEEDS : PG_SEEDS)(
    'seed %i: every record parses and holds the last acknowledged write or the next one',
    async (seed) => {
      const location = await kind.fresh();
      const journalDir = await mkdtemp(path.join(os.tmpdir(), 'crash-journal-'));
      const journal = path.join(journalDir, 'writer.log');
      const writer = spawnFixture('writer.mjs', [location, String(seed), journal]);
      await writer.waitFor(/^ack .* put$/);
      // Deterministic per seed, spread over the first ~150 ms of writing.
      await new Promise((resolve) => setTimeout(resolve, 5 + ((seed * 37) % 150)));
      await writer.kill();
      // Counted from the writer's journal, not its stdout: lines it printed while this process
      // was not reading may sit in its memory, and the kill loses them (see writer.mjs).
      const lines = (await readFile(journal, 'utf8')).split('\n');
      await rm(journalDir, { recursive: true, force: true });

      if (kind.name === 'directory') {
        const litter = (await readdir(path.join(location, 'audiences', 'prod')).catch(() => [])).filter(
          (name) => name.endsWith('.tmp'),
        );
        if (litter.length > 0) killedMidWrite++;
      }
      const store = await kind.open(location);
      const state = await store.readAll();
      // Every acknowledged write counted in the serial; nothing beyond what was tried.
      const ackedPuts = lines.filter((line) => /^ack .* put$/.test(line)).length;
      const triedCount = lines.filter((line) => line.startsWith('try ')).length;
      expect(ackedPuts, 'the writer got some writes done before the kill').toBeGreaterThan(0);
      expect(state.meta?.serial).toBeGreaterThanOrEqual(ackedPuts);
      expect(state.meta?.serial).toBeLessThanOrEqual(triedCount);
      for (const [key, { acked, tried }] of history(lines)) {
        const found = state.audiences.find((record) => record.key === key)?.audienceId;
        const allowed = new Set([stateAfter(acked), stateAfter(tried)]);
        expect(allowed, `key ${key}: found ${found}`).toContain(found);
      }

      // The next process gets the lock: a dead holder's file is taken over (and its litter
      // swept); PostgreSQL released the dead session's lock by itself.
      const info = await store.lock();
      if (kind.name === 'directory') {
        expect(info.tookOver?.reason).toBe('dead-pid');
        const names = await readdir(path.join(location, 'audiences', 'prod')).catch(() => []);
        expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      } else {
        expect(info.tookOver).toBeUndefined();
      }
    },
  );
});
