import { Worker } from 'node:worker_threads';
import type { FileJob } from './file-line.js';
import type { FileParseResult } from './parse-result.js';
import { threadEnv } from '../thread-env.js';

// What the parser pool (parse-pool.ts) and its threads (parse-worker.ts) exchange, what
// the pool's callers get, and how one thread is started.

/** A file's text to parse, or (`file`) a file the thread reads itself. */
export type ParseJob = { index: number; path: string; text?: string; file?: FileJob };
/**
 * `results`: the JSON of the chunk's `FileParseResult[]`, in order; `lines`: for files
 * the thread read, one line each (see file-line.ts), each ended by a newline, in UTF-8
 * (a buffer of its own, moved to the receiving thread).
 */
export type WorkerReply = { ready: true } | { results: string } | { lines: Uint8Array };

export type PoolOptions = {
  /** The worker script (parse-worker.js, or a test's). */
  url: URL;
  /** Threads; default: 1, and a second (with 2 cores) once a source passes 500 files. */
  workers?: number;
  /** Old-generation heap of one parser thread, in MB (its young generation is 48 MB more). Default 96. */
  memoryMb?: number;
  /** A chunk of files still not parsed after this long is refused and its thread replaced. Default 10 s. */
  stallMs?: number;
};

/** What happened to a file whose parser died: the caller turns it into a diagnostic. */
export type ParseFailure = { failed: string };
/** A file's parse (a text sent) or, for a file the thread read, its line; or its failure. */
export type ParseOutcome<T = FileParseResult> = T | ParseFailure;

/**
 * Files are fed as they are read: parsing overlaps the reading of the next files. `T`:
 * FileParseResult for texts (`add`), string for files (`addFile`); one kind per session.
 */
export type ParseSession<T = FileParseResult> = {
  add(path: string, text: string): void;
  /** A file the thread reads itself; its outcome is its line. */
  addFile(file: FileJob): void;
  /**
   * A chunk no thread has been sent yet, for the caller to parse itself (then `settle`
   * each of its jobs, or `requeue` those it cannot parse); undefined when none is left.
   */
  take(): ParseJob[] | undefined;
  settle(index: number, outcome: T): void;
  requeue(jobs: ParseJob[]): void;
  /**
   * Every outcome, in the order the files were added. `keep`: one thread that parsed
   * without failing is not ended but handed over by `kept`, idle, its listeners removed
   * and unref'd (a cold plan writes its manifest cache through it, write-thread.ts).
   */
  done(options?: { keep?: boolean }): Promise<Array<ParseOutcome<T>>>;
  /** The thread `done({ keep: true })` kept, once; the taker ends it. */
  kept(): Worker | undefined;
};

/**
 * A chunk of files a thread read (`addFile`), files that follow one another: the index of
 * its first file, how many it holds, and their lines as the thread sent them (WorkerReply's
 * `lines`: this thread's to move on).
 */
export type SentLines = { first: number; count: number; bytes: Uint8Array };

export type ParsePool = {
  /**
   * `onOutcome`: each file's outcome as soon as it is known, a thread's or the caller's
   * (`settle`), failures aside. `onLines`: each chunk of files a thread read, as it came.
   */
  session<T = FileParseResult>(
    context: unknown,
    onOutcome?: (index: number, outcome: T) => void,
    onLines?: (sent: SentLines) => void,
  ): ParseSession<T>;
  /** Stops the thread started for a session that never came (the read failed). */
  close(): void;
};

/**
 * The young generation is large because the thread allocates every file's text and
 * objects and keeps none: with 16 MB, scavenges took a sixth of its time. The old
 * generation's limit is what bounds a hostile file.
 */
export function createWorker(url: URL, memoryMb: number): Worker {
  return new Worker(url, {
    ...threadEnv(),
    resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: 48, stackSizeMb: 4 },
  });
}

export function describeError(thrown: Error & { code?: string }, memoryMb: number): string {
  return thrown.code === 'ERR_WORKER_OUT_OF_MEMORY'
    ? `the parser ran out of memory (limit ${memoryMb} MB)`
    : `the parser failed: ${thrown.message}`;
}
