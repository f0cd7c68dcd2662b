import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { threadEnv } from '../thread-env.js';

/**
 * The fact scan's thread (src/scan/fact-scan.ts) is started by a plan served by its caches.
 * Starting a thread costs Node 20 about 80 ms of CPU before its first line runs, and a
 * warm plan waits for the thread's facts: started as the plan command begins (here,
 * before its code is loaded: about 60 ms of the main thread's time on Node 20), that
 * start-up runs on the other core while this one loads the command. The thread waits for
 * its request (a message); a plan that turns out not to need it (no cache, `--base`)
 * ends it, and an unused one never keeps the process alive.
 */

/**
 * Spelled from the parent folder: this code runs from dist/cli/ or dist/chunks/ (the CLI
 * bundle, scripts/bundle.mjs), beside dist/scan/. From the sources (tests) there is no thread.
 */
export const SCAN_WORKER_URL = import.meta.url.endsWith('.js')
  ? new URL('../scan/scan-worker.js', import.meta.url)
  : undefined;

/**
 * A manifest cache smaller than this (about 2,000 manifests of the bench's size) is read, and its
 * files stat'ed, by the plan's own thread. The scan thread's start-up (about 80 ms of CPU on
 * Node 20, more on Node 24) costs more than the work it takes over for a small repository: a
 * warm plan of 20 manifests took 0.35 CPU-s with it and 0.25 without, one of 1,000 0.63 and 0.52
 * (median of 9, load 8; README, "Where the time goes").
 */
export const SCAN_THREAD_FROM_BYTES = 2 * 1024 * 1024;

/**
 * The size of a regular file; undefined when it is not there (or not a file), or cannot be
 * looked at. `throwIfNoEntry` covers ENOENT only: a --state naming a file (ENOTDIR) or a store
 * the user cannot read (EACCES) threw here, before the plan's own check of --state, and the
 * user saw "Internal error" and a stack trace instead of that check's one line.
 */
export function fileSize(file: string): number | undefined {
  try {
    const stats = statSync(file, { throwIfNoEntry: false });
    return stats?.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a plan served by `cacheFile` scans its facts in a thread: a cache large enough. */
export function scansInThread(
  cacheFile: string,
  sizeOf: (file: string) => number | undefined = fileSize,
): boolean {
  return (sizeOf(cacheFile) ?? 0) >= SCAN_THREAD_FROM_BYTES;
}

let early: { worker: Worker; url: string; exited: boolean } | undefined;

/** Starts the thread ahead of its request; nothing when there is no worker script or no thread. */
export function prestartScanThread(url = SCAN_WORKER_URL): void {
  if (!url || early) return;
  try {
    const worker = new Worker(url, threadEnv());
    worker.unref();
    const started = { worker, url: url.href, exited: false };
    // A thread that failed to start is simply not used: the plan starts (or goes without) its own.
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      started.exited = true;
    });
    early = started;
  } catch {
    // No thread to be had: the plan does without, as it would have.
  }
}

/** The thread started ahead for `url`, if it is still running; taken once. */
export function takeScanThread(url: URL): Worker | undefined {
  const taken = early;
  early = undefined;
  if (!taken) return undefined;
  if (taken.exited || taken.url !== url.href) {
    void taken.worker.terminate();
    return undefined;
  }
  taken.worker.ref();
  return taken.worker;
}

/** Ends the thread started ahead, if the plan does not take it. */
export function dropScanThread(): void {
  const dropped = early;
  early = undefined;
  if (dropped) void dropped.worker.terminate();
}
