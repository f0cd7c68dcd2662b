import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { readState } from '../../src/state/read.js';
import { useTempDirs } from './helpers.js';
import { spawnFixture } from './spawn.js';

const tempDir = useTempDirs();
const SEEDS = Array.from({ length: 24 }, (_, i) => i + 1);

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

describe.concurrent('a writer killed with SIGKILL at random instants', () => {
  // Proof that the kills do land inside writes (a temp file written, not yet renamed).
  let killedMidWrite = 0;
  afterAll(() => {
    expect(killedMidWrite).toBeGreaterThan(0);
  });

  it.each(SEEDS)(
    'seed %i: every file parses and holds the last acknowledged write or the next one',
    async (seed) => {
      const dir = await tempDir();
      const writer = spawnFixture('writer.ts', [dir, String(seed)]);
      await writer.waitFor(/^ack .* put$/);
      // Deterministic per seed, spread over the first ~150 ms of writing.
      await new Promise((resolve) => setTimeout(resolve, 5 + ((seed * 37) % 150)));
      await writer.kill();

      const sandboxDir = path.join(dir, 'audiences', 'prod');
      const litter = (await readdir(sandboxDir).catch(() => [])).filter((name) => name.endsWith('.tmp'));
      if (litter.length > 0) killedMidWrite++;
      const state = await readState(dir);
      // Every acknowledged put counted in the serial; nothing beyond what was tried.
      const ackedPuts = writer.lines.filter((line) => /^ack .* put$/.test(line)).length;
      const triedCount = writer.lines.filter((line) => line.startsWith('try ')).length;
      expect(ackedPuts, 'the writer got some writes done before the kill').toBeGreaterThan(0);
      expect(state.meta?.serial).toBeGreaterThanOrEqual(ackedPuts);
      expect(state.meta?.serial).toBeLessThanOrEqual(triedCount);
      for (const [key, { acked, tried }] of history(writer.lines)) {
        const found = state.audiences.find((record) => record.key === key)?.audienceId;
        const allowed = new Set([stateAfter(acked), stateAfter(tried)]);
        expect(allowed, `key ${key}: found ${found}`).toContain(found);
      }

      // The next process finds the dead writer's lock stale, takes it, and sweeps its litter.
      const next = new FileStateStore(dir);
      const info = await next.lock();
      expect(info.tookOver?.reason).toBe('dead-pid');
      const names = await readdir(sandboxDir).catch(() => []);
      expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      await next.unlock();
    },
  );
});
