import type { Worker } from 'node:worker_threads';
import { createWorker, describeError, type WorkerReply } from './parse-thread.js';

/**
 * A cold plan (no manifest cache) reads and parses every file: its parser thread used to be
 * started once the listing had found IN_THREAD_MAX_FILES files, after the plan command's
 * code had loaded, so the thread's own start-up (Node's bootstrap and its modules: about a
 * tenth of a second of CPU on Node 20) ran while this thread listed and parsed alone. Started
 * as the command begins (src/cli/plan-prestart.ts), it starts on the other core while this
 * one loads the command, and is ready when the first files are. The pool takes it
 * (startParsePool); a plan that turns out to read few files (or none) ends it unused.
 */

/**
 * Spelled from the parent folder, as load-isolated.ts's WORKER_URL: this code runs from
 * dist/chunks/ (the CLI bundle). From the sources (tests) there is no thread.
 */
export const PARSER_WORKER_URL = import.meta.url.endsWith('.js')
  ? new URL('../manifest/parse-worker.js', import.meta.url)
  : undefined;

/** The old-generation limit the pool starts its threads with by default (PoolOptions.memoryMb). */
export const DEFAULT_PARSER_MEMORY_MB = 96;

/** What became of the thread before the pool took it. */
export type EarlyParser = { worker: Worker; ready: boolean; exit?: number; error?: string };

let early: { state: EarlyParser; url: string; memoryMb: number; release: () => void } | undefined;

/**
 * Starts a parser thread ahead of its pool, and returns it; nothing when there is no worker
 * script or no thread, or one was started already.
 */
export function prestartParserThread(
  url: URL | undefined = PARSER_WORKER_URL,
  memoryMb = DEFAULT_PARSER_MEMORY_MB,
): Worker | undefined {
  if (!url || early) return undefined;
  try {
    const worker = createWorker(url, memoryMb);
    const state: EarlyParser = { worker, ready: false };
    // Its 'ready' may come before the pool listens: noted here, as the pool notes its own.
    const onMessage = (reply: WorkerReply) => {
      if ('ready' in reply) state.ready = true;
    };
    const onExit = (code: number) => (state.exit = code);
    const onError = (thrown: Error) => (state.error ??= describeError(thrown, memoryMb));
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.on('error', onError);
    // Unused, it must not keep the process alive (after the listeners, which ref it again).
    worker.unref();
    const release = () => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.off('error', onError);
    };
    early = { state, url: url.href, memoryMb, release };
    return worker;
  } catch {
    // No thread to be had: the pool starts its own, as it would have.
    return undefined;
  }
}

/**
 * The thread started ahead for `url` with `memoryMb`, and what it did meanwhile, taken once
 * (its listeners removed: the taker adds its own); undefined when there is none (or one for
 * another script or limit, which is ended).
 */
export function takeParserThread(url: URL, memoryMb: number): EarlyParser | undefined {
  const taken = early;
  early = undefined;
  if (!taken) return undefined;
  taken.release();
  if (taken.url !== url.href || taken.memoryMb !== memoryMb) {
    void taken.state.worker.terminate();
    return undefined;
  }
  return taken.state;
}

/** Ends the thread started ahead, if no pool took it. */
export function dropParserThread(): void {
  const dropped = early;
  early = undefined;
  if (!dropped) return;
  dropped.release();
  void dropped.state.worker.terminate();
}
