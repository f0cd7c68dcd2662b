import { Worker } from 'node:worker_threads';
import type { ReadDirOptions, StattedListing } from '../manifest/read-dir.js';
import type { StattedRecords } from '../state/record-names.js';

/**
 * A plan served by its caches (the manifest cache, the state snapshot) reads two files
 * and stats every manifest and record file: 20,000 stats and two directory walks for
 * 10,000 audiences. A thread of its own lists and stats them while this one reads and
 * decodes the caches, so the two halves run on two cores. It only ever says what the
 * files' facts are; the caller judges them exactly as it judges its own stats.
 */
export type FactScanRequest = {
  manifests?: { root: string; options: ReadDirOptions };
  /** A directory store's folder. */
  stateDir?: string;
};

export type FactScanReply =
  | { part: 'manifests'; value: StattedListing }
  | { part: 'records'; value: StattedRecords }
  | { part: 'manifests' | 'records'; failed: true };

export type FactScan = {
  /** Undefined when the thread could not take them: the caller lists and stats itself. */
  manifests: Promise<StattedListing | undefined>;
  records: Promise<StattedRecords | undefined>;
  /** Ends the thread if it is still scanning (the command failed before it needed the facts). */
  stop(): void;
};

/**
 * Spelled from the parent folder: this code runs from dist/chunks/ (the CLI bundle,
 * scripts/bundle.mjs), beside dist/scan/. From the sources (tests) there is no thread.
 */
export const SCAN_WORKER_URL = import.meta.url.endsWith('.js')
  ? new URL('../scan/scan-worker.js', import.meta.url)
  : undefined;

/** Starts the thread; undefined when there is no worker script or nothing to scan. */
export function startFactScan(request: FactScanRequest, url = SCAN_WORKER_URL): FactScan | undefined {
  if (!url || (!request.manifests && request.stateDir === undefined)) return undefined;
  let manifestsDone!: (value: StattedListing | undefined) => void;
  let recordsDone!: (value: StattedRecords | undefined) => void;
  const manifests = new Promise<StattedListing | undefined>((resolve) => (manifestsDone = resolve));
  const records = new Promise<StattedRecords | undefined>((resolve) => (recordsDone = resolve));
  const worker = new Worker(url, { workerData: request });
  worker.on('message', (reply: FactScanReply) => {
    if (reply.part === 'manifests') manifestsDone('value' in reply ? reply.value : undefined);
    else recordsDone('value' in reply ? reply.value : undefined);
  });
  // A thread that fails (it could not start, say) exits: whatever it had not sent is undefined.
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    manifestsDone(undefined);
    recordsDone(undefined);
  });
  if (!request.manifests) manifestsDone(undefined);
  if (request.stateDir === undefined) recordsDone(undefined);
  return { manifests, records, stop: () => void worker.terminate() };
}
