import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import {
  createWorker,
  describeError,
  type ParseJob,
  type ParseOutcome,
  type ParsePool,
  type ParseSession,
  type PoolOptions,
  type SentLines,
  type WorkerReply,
} from './parse-thread.js';
import type { FileParseResult } from './parse-result.js';
import { DEFAULT_PARSER_MEMORY_MB, takeParserThread } from './parser-prestart.js';

export type {
  ParseFailure,
  ParseJob,
  ParseOutcome,
  ParsePool,
  ParseSession,
  PoolOptions,
  SentLines,
  WorkerReply,
} from './parse-thread.js';

const CHUNK = 64;
const FILES_PER_EXTRA_WORKER = 500;
/**
 * Chunks sent to a thread ahead of its replies: at least enough that it never waits for
 * the next, and a fair share of those queued, since the caller, which may take the
 * others (see `take`), may be too busy meanwhile to send more.
 */
const AHEAD = 2;

/** `release`: removes the pool's listeners from the thread (it is handed over, see `done`). */
type Slot = {
  worker: Worker;
  inflight: ParseJob[][];
  ready: boolean;
  timer?: NodeJS.Timeout;
  release: () => void;
};

/**
 * Parses files in worker threads with bounded memory, so that a file no check foresaw
 * costs one failure for that file, never the process (a V8 heap exhaustion inside a
 * worker ends the worker, not us). One thread starts at once, before the files are
 * read; a second joins for large sources. Chunks of files go round-robin to the
 * threads; the chunks of a thread that died are retried on a fresh one, the chunk it
 * was parsing one file at a time, so only a file that kills a thread on its own is refused.
 */
export function startParsePool(options: PoolOptions): ParsePool {
  const memoryMb = options.memoryMb ?? DEFAULT_PARSER_MEMORY_MB;
  const stallMs = options.stallMs ?? 10_000;
  const maxWorkers = options.workers ?? Math.min(2, Math.max(1, availableParallelism()));
  // The thread a plan started as it began (parser-prestart.ts), unless it already ended.
  let taken = takeParserThread(options.url, memoryMb);
  if (taken?.exit !== undefined) taken = undefined;
  const first = taken?.worker ?? createWorker(options.url, memoryMb);
  const firstEarly = {
    ready: taken?.ready ?? false,
    exit: undefined as number | undefined,
    error: taken?.error,
  };
  const onFirstReady = (reply: WorkerReply) => 'ready' in reply && (firstEarly.ready = true);
  const onFirstExit = (code: number) => (firstEarly.exit = code);
  const onFirstError = (thrown: Error) => (firstEarly.error ??= describeError(thrown, memoryMb));
  first.on('message', onFirstReady);
  first.on('exit', onFirstExit);
  first.on('error', onFirstError);
  const releaseFirst = () => {
    first.off('message', onFirstReady);
    first.off('exit', onFirstExit);
    first.off('error', onFirstError);
  };
  // Until a session uses it, the thread must not keep the process alive (after the
  // listeners: adding a message listener refs the thread again).
  first.unref();
  let spare: Worker | undefined = first;

  return {
    close() {
      if (spare) void spare.terminate();
      spare = undefined;
    },
    session<T>(
      context: unknown,
      onOutcome?: (index: number, outcome: T) => void,
      onLines?: (sent: SentLines) => void,
    ): ParseSession<T> {
      const results: unknown[] = [];
      const slots: Slot[] = [];
      let pending: ParseJob[] = [];
      /** Chunks not sent yet: the threads get AHEAD each, the caller may take the others. */
      const queue: ParseJob[][] = [];
      /** Chunks the caller gave back: for the threads only. */
      const given: ParseJob[][] = [];
      let remaining = 0;
      let closed = false;
      let settle: { resolve: (r: Array<ParseOutcome<T>>) => void; reject: (e: Error) => void } | undefined;
      let failure: Error | undefined;
      /** Set by `done({ keep: true })`; then, once done, the thread kept (`kept`). */
      let keep = false;
      let keptThread: Worker | undefined;

      const finishIfDone = (): void => {
        if (!closed || remaining > 0 || !settle) return;
        // One thread that started and never failed may be handed over, idle; the others end.
        const keeper = keep && !failure ? slots.find((slot) => slot.ready) : undefined;
        for (const slot of [...slots]) {
          if (slot !== keeper) stop(slot);
        }
        if (keeper) {
          clearTimeout(keeper.timer);
          slots.splice(slots.indexOf(keeper), 1);
          keeper.release();
          // Idle until its taker (writeCacheFileInThread) writes through it, after the
          // state read: an error it threw meanwhile, with no listener, would end the
          // plan. It only ends the thread, which its taker sees (a cache is written elsewhere).
          keeper.worker.on('error', () => undefined);
          // Until its taker refs it: it must not keep the process alive.
          keeper.worker.unref();
          keptThread = keeper.worker;
        }
        if (failure) settle.reject(failure);
        else settle.resolve(results as Array<ParseOutcome<T>>);
        settle = undefined;
      };
      const stop = (slot: Slot): void => {
        clearTimeout(slot.timer);
        const index = slots.indexOf(slot);
        if (index >= 0) slots.splice(index, 1);
        void slot.worker.terminate();
      };
      const arm = (slot: Slot): void => {
        clearTimeout(slot.timer);
        // A thread still starting is not stalled (its start-up failure ends it anyway).
        if (slot.inflight.length === 0 || !slot.ready) return;
        slot.timer = setTimeout(() => fail(slot, `parsing took longer than ${stallMs / 1000} s`), stallMs);
      };
      const send = (slot: Slot, chunk: ParseJob[]): void => {
        slot.inflight.push(chunk);
        if (slot.inflight.length === 1) arm(slot);
        slot.worker.postMessage({ jobs: chunk, context });
      };

      /** The thread died: blame the file it was parsing alone, or retry its chunk file by file. */
      const fail = (slot: Slot, reason: string): void => {
        if (!slots.includes(slot)) return;
        stop(slot);
        const [current, ...queued] = slot.inflight;
        if (!slot.ready) {
          failure ??= new Error(`the manifest parser thread could not start: ${reason}`);
          const unsent = [...queue.splice(0), ...given.splice(0)];
          remaining -= [...slot.inflight, ...unsent].reduce((sum, chunk) => sum + chunk.length, 0);
          return finishIfDone();
        }
        const retry: ParseJob[][] = [];
        if (current?.length === 1) {
          results[current[0]!.index] = { failed: reason };
          remaining -= 1;
        } else if (current) {
          retry.push(...current.map((job) => [job]));
        }
        retry.push(...queued);
        if (retry.length > 0) {
          const fresh = spawn();
          for (const chunk of retry) send(fresh, chunk);
        }
        pump();
        finishIfDone();
      };

      const spawn = (): Slot => {
        const early = spare === first ? firstEarly : undefined;
        const worker = spare ?? createWorker(options.url, memoryMb);
        spare = undefined;
        worker.ref();
        const slot: Slot = {
          worker,
          inflight: [],
          ready: early?.ready ?? false,
          release: () => {
            if (early) releaseFirst();
            worker.off('message', onReply);
            worker.off('error', onError);
            worker.off('exit', exited);
          },
        };
        slots.push(slot);
        const onReply = (reply: WorkerReply) => {
          if ('ready' in reply) {
            slot.ready = true;
            arm(slot);
            return;
          }
          const chunk = slot.inflight.shift()!;
          const parsed: unknown[] =
            'lines' in reply ? linesOf(reply.lines) : (JSON.parse(reply.results) as FileParseResult[]);
          // Told only of files that follow one another, as SentLines says: a chunk the caller
          // gave back may have gaps (its files the caller parsed), and its lines then belong
          // to no such run of files (they are each file's outcome all the same).
          const first = chunk[0]!.index;
          if ('lines' in reply && chunk.at(-1)!.index === first + chunk.length - 1)
            onLines?.({ first, count: chunk.length, bytes: reply.lines });
          chunk.forEach((job, offset) => {
            results[job.index] = parsed[offset];
            onOutcome?.(job.index, parsed[offset] as T);
          });
          remaining -= chunk.length;
          arm(slot);
          pump();
          finishIfDone();
        };
        worker.on('message', onReply);
        // An uncaught error reaches us on the worker's internal port, possibly before its
        // 'ready' message on the public one; 'exit' always follows, after node has delivered
        // every message. So the error is only noted here and judged on 'exit', when `ready`
        // says truly whether the thread had started (a job's failure is not a start-up one).
        let error = early?.error;
        const onError = (thrown: Error) => (error ??= describeError(thrown, memoryMb));
        worker.on('error', onError);
        const exited = (code: number) => fail(slot, error ?? `the parser stopped (exit code ${code})`);
        worker.on('exit', exited);
        const earlyExit = early?.exit;
        if (earlyExit !== undefined) queueMicrotask(() => exited(earlyExit));
        return slot;
      };

      /** Sends queued chunks to the threads with fewer than AHEAD in flight (starting them as needed). */
      const pump = (): void => {
        if (failure) return;
        const wanted = Math.min(maxWorkers, 1 + Math.floor(results.length / FILES_PER_EXTRA_WORKER));
        while (queue.length + given.length > 0 && slots.length < wanted) spawn();
        for (;;) {
          const slot = slots.reduce<Slot | undefined>(
            (best, s) => (!best || s.inflight.length < best.inflight.length ? s : best),
            undefined,
          );
          const share = Math.ceil(queue.length / (slots.length + 1));
          if (given.length > 0 && slot) {
            send(slot, given.shift()!);
            continue;
          }
          if (queue.length === 0 || !slot || slot.inflight.length >= Math.max(AHEAD, share)) return;
          send(slot, queue.shift()!);
        }
      };

      const flush = (): void => {
        if (pending.length === 0) return;
        queue.push(pending);
        pending = [];
        pump();
      };

      const push = (job: Omit<ParseJob, 'index'>): void => {
        const index = results.length;
        results.push(undefined);
        remaining += 1;
        pending.push({ index, ...job });
        if (pending.length === CHUNK) flush();
      };
      return {
        add: (path, text) => push({ path, text }),
        addFile: (file) => push({ path: file.relative, file }),
        take() {
          flush();
          return failure ? undefined : queue.pop();
        },
        settle(index, outcome) {
          results[index] = outcome;
          onOutcome?.(index, outcome);
          remaining -= 1;
          finishIfDone();
        },
        requeue(jobs) {
          if (jobs.length === 0) return;
          given.push(jobs);
          pump();
        },
        done(options) {
          keep = options?.keep === true;
          flush();
          pump();
          closed = true;
          if (spare) void spare.terminate();
          spare = undefined;
          return new Promise((resolve, reject) => {
            settle = { resolve, reject };
            finishIfDone();
          });
        },
        kept() {
          const thread = keptThread;
          keptThread = undefined;
          return thread;
        },
      };
    },
  };
}

/** WorkerReply's `lines` as strings, one a file. */
function linesOf(bytes: Uint8Array): string[] {
  // Decoded without its last newline: every line ends with one.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    'utf8',
    0,
    bytes.byteLength - 1,
  );
  return text.split('\n');
}

/**
 * The caller's thread parses too, once every file is handed over: the chunks no thread
 * has been sent yet (it would otherwise wait idle for the threads). `parser` gives the
 * parse function at the first such chunk (so the fast parser is
 * loaded only then); a job it cannot parse (undefined: it needs the full parser) goes
 * back to a thread. Between chunks the threads' replies, and the caller's other work, go on.
 * `onChunk`: each chunk parsed here whole, with its outcomes (for work on it that would
 * otherwise wait for the end, while a thread parses: see read-source.ts's `encodeTaken`).
 */
export async function parseTakenChunks<T>(
  session: ParseSession<T>,
  parser: () => Promise<(job: ParseJob) => T | undefined>,
  onChunk?: (chunk: ParseJob[], outcomes: T[]) => void,
): Promise<void> {
  let chunk = session.take();
  if (!chunk) return;
  const parse = await parser();
  for (; chunk; chunk = session.take()) {
    const rest: ParseJob[] = [];
    const outcomes: T[] = [];
    for (const job of chunk) {
      const outcome = parse(job);
      if (outcome === undefined) rest.push(job);
      else {
        outcomes.push(outcome);
        session.settle(job.index, outcome);
      }
    }
    if (rest.length === 0) onChunk?.(chunk, outcomes);
    session.requeue(rest);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
