import { Worker } from 'node:worker_threads';
import { loadCacheBytes, type CacheBytes } from '../cache/cache-file.js';
import type { ReadDirOptions, StattedListing } from '../manifest/read-dir.js';
import type { StattedRecords } from '../state/record-names.js';
import { SCAN_WORKER_URL, takeScanThread } from './prestart.js';
import { threadEnv } from '../thread-env.js';

/**
 * A plan served by its caches (the manifest cache, the state snapshot) reads two files
 * of about 10 MB and stats every manifest and record file: 20,000 stats and two directory
 * walks for 10,000 audiences. A thread of its own reads and hashes the manifest cache and
 * lists and stats the files, while this one reads the snapshot (as the thread starts)
 * and decodes both caches, so the two halves run on two cores. It only ever says what
 * the cache holds and what the files' facts are; the caller judges them exactly as it
 * judges its own reads and stats.
 */
export type FactScanRequest = {
  manifests: { root: string; options: ReadDirOptions; cacheFile: string };
  /** A directory store's folder. */
  stateDir?: string;
};

/** A cache file's bytes as sent between threads (the buffer moves, it is not copied). */
export type SentCacheBytes = { buffer: ArrayBuffer; end: number; digest: string } | undefined;

/** Sent in this order, each as soon as it is known. */
export type FactScanReply =
  | { part: 'manifestCache'; value: SentCacheBytes }
  | { part: 'manifests'; value: StattedListing }
  | { part: 'records'; value: StattedRecords }
  | { part: 'manifests' | 'records'; failed: true };

export type FactScan = {
  manifestCache: Promise<CacheBytes>;
  /** Undefined when the thread could not take them: the caller lists and stats itself. */
  manifests: Promise<StattedListing | undefined>;
  records: Promise<StattedRecords | undefined>;
  /** Ends the thread if it is still scanning (the command failed before it needed the facts). */
  stop(): void;
};

export { SCAN_WORKER_URL };

function received(sent: SentCacheBytes): CacheBytes {
  return sent && { bytes: Buffer.from(sent.buffer), end: sent.end, digest: sent.digest };
}

/** Starts the thread; undefined when there is no worker script, or no thread could be started. */
export function startFactScan(request: FactScanRequest, url = SCAN_WORKER_URL): FactScan | undefined {
  if (!url) return undefined;
  let worker: Worker;
  try {
    // The thread started ahead (prestart.ts) if there is one, else a new one; either waits for its request.
    worker = takeScanThread(url) ?? new Worker(url, threadEnv());
  } catch {
    // No thread to be had (ERR_WORKER_INIT_FAILED: the system's threads are used up): the
    // caller reads, lists and stats everything itself, as without a worker script.
    return undefined;
  }
  /** Each part's settling, called once: with the thread's reply, or without one when it exits. */
  const settle = new Map<FactScanReply['part'], (reply: FactScanReply | undefined) => void>();
  const part = <T>(name: FactScanReply['part'], take: (reply: FactScanReply | undefined) => T | Promise<T>) =>
    new Promise<T>((resolve) =>
      settle.set(name, (reply) => {
        settle.delete(name);
        resolve(take(reply));
      }),
    );
  // The cache, if the thread did not send it, is read here (in the thread pool); facts it did not send, undefined.
  const facts = <T>(name: 'manifests' | 'records') =>
    part<T | undefined>(name, (reply) => (reply && 'value' in reply ? (reply.value as T) : undefined));
  const scan = {
    manifestCache: part<CacheBytes>('manifestCache', (reply) =>
      reply && 'value' in reply
        ? received(reply.value as SentCacheBytes)
        : loadCacheBytes(request.manifests.cacheFile),
    ),
    manifests: facts<StattedListing>('manifests'),
    records: facts<StattedRecords>('records'),
  };
  if (request.stateDir === undefined) settle.get('records')!(undefined);
  worker.on('message', (reply: FactScanReply) => settle.get(reply.part)?.(reply));
  // A thread that fails (it could not start, say) exits: whatever it had not sent is settled without it.
  worker.on('error', () => undefined);
  worker.on('exit', () => [...settle.values()].forEach((done) => done(undefined)));
  worker.postMessage(request);
  return { ...scan, stop: () => void worker.terminate() };
}
