import { describe, expect, it } from 'vitest';
import { startParsePool } from '../../src/manifest/parse-pool.js';

const url = new URL('./fixtures/crashing-worker.mjs', import.meta.url);

function jobs(texts: string[]) {
  return texts.map((text, i) => ({ path: `f${i}.yaml`, text }));
}

/** What each file got: its own path back, or the failure that was blamed on it. */
async function outcomes(texts: string[], options: { workers?: number; stallMs?: number } = {}) {
  const session = startParsePool({ url, memoryMb: 32, ...options }).session(undefined);
  for (const job of jobs(texts)) session.add(job.path, job.text);
  const results = await session.done();
  return results.map((r) => ('failed' in r ? r.failed : (r.notes?.[0]?.message ?? '?')));
}

describe('parser threads', () => {
  it('parses every file, in order, with one thread or two', async () => {
    const texts = Array.from({ length: 300 }, () => 'ok');
    const expected = texts.map((_, i) => `f${i}.yaml`);
    expect(await outcomes(texts, { workers: 1 })).toEqual(expected);
    expect(await outcomes(texts, { workers: 2 })).toEqual(expected);
  });

  it('blames only the file that exhausted the memory of its thread, and parses the others', async () => {
    const texts = ['ok', 'ok', 'exhaust memory', 'ok', 'ok'];
    const result = await outcomes(texts, { workers: 1 });
    expect(result).toEqual([
      'f0.yaml',
      'f1.yaml',
      'the parser ran out of memory (limit 32 MB)',
      'f3.yaml',
      'f4.yaml',
    ]);
  });

  it('survives a thread that exits or throws, once per file', async () => {
    const texts = ['exit', 'ok', 'throw', 'exit', 'ok'];
    expect(await outcomes(texts, { workers: 2 })).toEqual([
      'the parser stopped (exit code 3)',
      'f1.yaml',
      'the parser failed: unforeseen',
      'the parser stopped (exit code 3)',
      'f4.yaml',
    ]);
  });

  it('gives up on a file that never finishes, and goes on', async () => {
    expect(await outcomes(['ok', 'hang', 'ok'], { workers: 1, stallMs: 300 })).toEqual([
      'f0.yaml',
      'parsing took longer than 0.3 s',
      'f2.yaml',
    ]);
  });

  it('says so when the thread cannot start at all', async () => {
    const unloadable = new URL('./fixtures/unloadable-worker.mjs', import.meta.url);
    const session = startParsePool({ url: unloadable, memoryMb: 32 }).session(undefined);
    session.add('f0.yaml', 'ok');
    await expect(session.done()).rejects.toThrow(
      'the manifest parser thread could not start: the parser failed: cannot load',
    );
  });

  it('lets the caller parse the chunks no thread was sent, and give back those it cannot', async () => {
    const session = startParsePool({ url, memoryMb: 32, workers: 1 }).session(undefined);
    for (const job of jobs(Array.from({ length: 640 }, () => 'ok'))) session.add(job.path, job.text);
    const here = new Set<number>();
    for (let chunk = session.take(); chunk; chunk = session.take()) {
      // Every other file here; the others back to the thread.
      for (const job of chunk.filter((j) => j.index % 2 === 0)) {
        here.add(job.index);
        session.settle(job.index, { manifests: [], diagnostics: [], salvaged: [], unreadable: false });
      }
      session.requeue(chunk.filter((j) => j.index % 2 === 1));
    }
    const results = await session.done();
    expect(here.size).toBeGreaterThan(0);
    expect(here.size).toBeLessThan(320);
    results.forEach((result, index) => {
      expect('failed' in result ? result.failed : (result.notes?.[0]?.message ?? 'here')).toBe(
        here.has(index) ? 'here' : `f${index}.yaml`,
      );
    });
  });

  it("tells each file's outcome as soon as it is known, a thread's or the caller's, never a failure", async () => {
    const told: Array<[number, string]> = [];
    const session = startParsePool({ url, memoryMb: 32, workers: 1 }).session(
      undefined,
      (index: number, result) => told.push([index, result.notes?.[0]?.message ?? 'here']),
    );
    const texts = ['exit', ...Array.from({ length: 200 }, () => 'ok')];
    for (const job of jobs(texts)) session.add(job.path, job.text);
    const taken = session.take()!;
    for (const job of taken)
      session.settle(job.index, { manifests: [], diagnostics: [], salvaged: [], unreadable: false });
    // Told before the session is done: the caller's at once, the threads' as their replies come.
    expect(told.map(([index]) => index)).toEqual(taken.map((job) => job.index));
    const results = await session.done();
    const byIndex = new Map(told);
    expect(told).toHaveLength(200);
    expect(byIndex.has(0)).toBe(false);
    expect(results[0]).toEqual({ failed: 'the parser stopped (exit code 3)' });
    results.slice(1).forEach((result, offset) => {
      const index = offset + 1;
      expect(byIndex.get(index)).toBe(taken.some((job) => job.index === index) ? 'here' : `f${index}.yaml`);
      expect(result).toBeDefined();
    });
  });

  it('needs no thread for no file', async () => {
    expect(await outcomes([])).toEqual([]);
  });
});
