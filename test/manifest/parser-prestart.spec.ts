import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startParsePool } from '../../src/manifest/parse-pool.js';
import { dropParserThread, prestartParserThread } from '../../src/manifest/parser-prestart.js';

// A plan without a manifest cache starts its parser thread as the command begins
// (src/cli/plan-prestart.ts); the pool then takes that thread instead of starting one.
const url = new URL('./fixtures/crashing-worker.mjs', import.meta.url);

afterEach(() => dropParserThread());

/** The thread started ahead, once it has said it is ready (a listener of the test's own). */
async function readyThread(memoryMb: number): Promise<Worker> {
  const worker = prestartParserThread(url, memoryMb)!;
  expect(worker).toBeDefined();
  await new Promise<void>((resolve) => {
    const onMessage = (reply: { ready?: true }) => {
      if (!reply.ready) return;
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
  });
  return worker;
}

/** Each file's outcome: its own path back, or the failure blamed on it; and the thread kept. */
async function parse(texts: string[], memoryMb: number, stallMs?: number) {
  const session = startParsePool({ url, memoryMb, workers: 1, ...(stallMs ? { stallMs } : {}) }).session(
    undefined,
  );
  texts.forEach((text, i) => session.add(`f${i}.yaml`, text));
  const results = await session.done({ keep: true });
  const kept = session.kept();
  void kept?.terminate();
  return {
    outcomes: results.map((r) => ('failed' in r ? r.failed : (r.notes?.[0]?.message ?? '?'))),
    threadId: kept?.threadId,
  };
}

describe('a parser thread started ahead of its pool', () => {
  it('is the thread the pool parses with', async () => {
    const early = await readyThread(32);
    const { outcomes, threadId } = await parse(['ok', 'ok', 'ok'], 32);
    expect(outcomes).toEqual(['f0.yaml', 'f1.yaml', 'f2.yaml']);
    expect(threadId).toBe(early.threadId);
  });

  it('counts as started when it said so before the pool took it: a file that never finishes is still given up on', async () => {
    // The pool arms its stall timer only for a thread it knows to be ready: had the 'ready'
    // sent before the pool listened been lost, the hanging file would hang the plan.
    await readyThread(32);
    expect((await parse(['ok', 'hang', 'ok'], 32, 300)).outcomes).toEqual([
      'f0.yaml',
      'parsing took longer than 0.3 s',
      'f2.yaml',
    ]);
  });

  it('is not taken once it has ended: the pool starts its own', async () => {
    const early = prestartParserThread(url, 32)!;
    await early.terminate();
    const { outcomes, threadId } = await parse(['ok', 'ok'], 32);
    expect(outcomes).toEqual(['f0.yaml', 'f1.yaml']);
    expect(threadId).not.toBe(early.threadId);
  });

  it('is not taken by a pool with another memory limit, and is ended', async () => {
    const early = await readyThread(48);
    const exited = once(early, 'exit');
    const { outcomes, threadId } = await parse(['ok'], 32);
    expect(outcomes).toEqual(['f0.yaml']);
    expect(threadId).not.toBe(early.threadId);
    await exited;
  });
});
