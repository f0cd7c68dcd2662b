import { parentPort } from 'node:worker_threads';
import { fileLine } from './file-line.js';
import type { ParseLimits } from './limits.js';
import { parseWithoutFullParser } from './parse-fast.js';
import type { ParseJob, WorkerReply } from './parse-pool.js';
import type { FileParseResult } from './parse-result.js';
import { cacheWriteServer, isWriteMessage, type WriteMessage } from '../cache/write-serve.js';

type FullParse = (path: string, text: string, limits: ParseLimits) => FileParseResult;
type Message = { jobs: ParseJob[]; context: ParseLimits };

/**
 * The full parser, and with it the `yaml` library (a quarter of this thread's start-up),
 * is loaded on the first file that needs it: most sources have none.
 */
let full: FullParse | undefined;

/** Encodes a chunk's lines: a buffer of their own each time (it moves to the main thread). */
const utf8 = new TextEncoder();

/**
 * The answer to one chunk: one string (several times cheaper to pass between threads
 * than the structured clone of thousands of small objects), or for files read here their
 * lines' UTF-8 (moved, not copied: a cold plan's main thread hands these very bytes to
 * the manifest cache's writer rather than encode the lines again on its last stretch).
 * Undefined: a file needs the full parser, which is not loaded yet.
 */
function answer({ jobs, context }: Message, parseFull = full): WorkerReply | undefined {
  const parse = (path: string, text: string) =>
    parseWithoutFullParser(path, text, context) ?? parseFull?.(path, text, context);
  // A session sends texts, or files to read (one kind per session).
  if (jobs[0]?.file) {
    const lines: string[] = [];
    for (const job of jobs) {
      const line = fileLine(job.file!, parse);
      if (line === undefined) return undefined;
      lines.push(line);
    }
    lines.push('');
    return { lines: utf8.encode(lines.join('\n')) };
  }
  const results: FileParseResult[] = [];
  for (const job of jobs) {
    const result = parse(job.path, job.text ?? '');
    if (!result) return undefined;
    results.push(result);
  }
  return { results: JSON.stringify(results) };
}

/** The parser's thread: parses the chunks of files it is sent (or reads them first), in order. */
const port = parentPort;
if (port) {
  const post = (reply: WorkerReply): void =>
    port.postMessage(reply, 'lines' in reply ? [reply.lines.buffer as ArrayBuffer] : []);
  /** Set while a chunk waits for the full parser to load: later chunks wait behind it. */
  let waiting: Promise<void> | undefined;
  const handle = (message: Message): Promise<void> | undefined => {
    const reply = answer(message);
    if (reply) {
      post(reply);
      return undefined;
    }
    // The chunk again, whole, once the full parser is here (it happens once per thread).
    return import('./parse-full.js').then(({ parseFull }) => {
      full = parseFull;
      post(answer(message, parseFull)!);
    });
  };
  // Once done parsing, a cold plan's thread may be kept to write the manifest cache
  // (write-thread.ts): those messages come only after the last chunk's answer.
  const write = cacheWriteServer(port);
  port.on('message', (message: Message | WriteMessage) => {
    if (isWriteMessage(message)) return write(message);
    const next = waiting ? waiting.then(() => handle(message)) : handle(message);
    if (!next) return;
    waiting = next;
    // A failure is the thread's uncaught error, as a synchronous one is (the pool retries).
    void next.then(() => {
      if (waiting === next) waiting = undefined;
    });
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}
