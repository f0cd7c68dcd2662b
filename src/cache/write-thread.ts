import { Worker } from 'node:worker_threads';
import { BATCH_CHARS, utf8Batches, writeCacheFileStreamed } from './cache-file.js';
import type { WriteMessage, WriteReply } from './write-serve.js';
import { threadEnv } from '../thread-env.js';

/**
 * Spelled from the parent folder: this code runs from dist/chunks/ (the CLI bundle,
 * scripts/bundle.mjs), beside dist/cache/. From the sources (tests) there is no thread.
 */
export const WRITE_WORKER_URL = import.meta.url.endsWith('.js')
  ? new URL('../cache/write-worker.js', import.meta.url)
  : undefined;

/**
 * Whether pieces this long are worth a thread of their own: at least one batch. Hashing and
 * writing less here takes a few milliseconds; a fresh thread's start-up costs Node 20 about
 * 80 ms of CPU, which a small repository's every plan and apply paid.
 */
export function worthAWriteThread(pieces: ReadonlyArray<string | Uint8Array>): boolean {
  let chars = 0;
  for (const piece of pieces) {
    chars += typeof piece === 'string' ? piece.length : piece.byteLength;
    if (chars >= BATCH_CHARS) return true;
  }
  return false;
}

/** `headerOf` as the text before and after the digest; undefined if it is not that simple. */
function headerParts(headerOf: (digest: string) => string): { before: string; after: string } | undefined {
  const zeros = headerOf('0'.repeat(40));
  const ones = headerOf('1'.repeat(40));
  let at = 0;
  while (at < zeros.length && zeros[at] === ones[at]) at += 1;
  const before = zeros.slice(0, at);
  const after = zeros.slice(at + 40);
  return ones === `${before}${'1'.repeat(40)}${after}` ? { before, after } : undefined;
}

/**
 * writeCacheFileStreamed, with the hashing and the writing in another thread: a plan
 * that read files for real starts it before planning, and the 10 MB (50 MB for 50,000
 * audiences) are hashed and written while this thread plans. That thread is `thread`, a
 * parser thread done parsing (parse-worker.ts serves the same messages), or else one of
 * its own: a fresh thread costs Node 20 about 80 ms of CPU before its first line runs.
 * This thread only encodes the pieces, in batches whose buffers move to the other.
 * Resolves to whether the file was written (a failure only costs the next plan time);
 * the other thread is ended then. A `thread` that has already ended is passed over.
 * Without a worker script (or a thread) it writes here.
 */
export function writeCacheFileInThread(
  file: string,
  headerOf: (digest: string) => string,
  pieces: Iterable<string | Uint8Array>,
  url: URL | undefined,
  thread?: Worker,
): Promise<boolean> {
  const parts = headerParts(headerOf);
  const here = () => Promise.resolve(writeCacheFileStreamed(file, headerOf, pieces));
  // A kept thread that ended while it waited (an error in it) would answer nothing.
  const kept = thread !== undefined && thread.threadId >= 0 ? thread : undefined;
  if (!parts || !(kept || url)) {
    void kept?.terminate();
    return here();
  }
  let worker: Worker;
  try {
    worker = kept ?? new Worker(url!, threadEnv());
  } catch {
    // No thread to be had (ERR_WORKER_INIT_FAILED): written here, as without a worker script.
    return here();
  }
  worker.ref();
  const written = new Promise<boolean>((resolve) => {
    worker.on('message', (reply: WriteReply) => {
      resolve(reply.written);
      void worker.terminate();
    });
    // A thread that fails exits: nothing was written (its temporary file is its to remove).
    worker.on('error', () => undefined);
    worker.on('exit', () => resolve(false));
  });
  worker.postMessage({ write: { file, ...parts } } satisfies WriteMessage);
  // Each batch's buffer is its own (utf8Batches), as is an encoded piece's: it moves, uncopied,
  // with the view of its bytes.
  for (const bytes of utf8Batches(pieces)) worker.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  worker.postMessage('end' satisfies WriteMessage);
  return written;
}
