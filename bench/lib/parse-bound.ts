// The read-and-parse bound of bench:plan: what a cold plan cannot go below on this
// machine. As many threads as a plan parses with (this one and parserThreadCount()
// workers: two on two cores) each read their share of the manifests, split evenly in
// advance, and parse them as a plan does (its file read, src/manifest/read-file.ts, and
// its fast path: the YAML subset and the schema check without zod,
// src/manifest/parse-fast.ts), with nothing else: no state, no hashing, no manifest
// cache, no plan, no line sent between the threads. A cold plan does all of those
// besides. bench:plan bundles this file (esbuild) and runs it with the node it measures.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_PARSE_LIMITS } from '../../src/manifest/limits.js';
import { parseWithoutFullParser } from '../../src/manifest/parse-fast.js';
import { parserThreadCount } from '../../src/manifest/parser-threads.js';
import { DEFAULT_MAX_FILE_BYTES, readSourceFile } from '../../src/manifest/read-file.js';

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file, out);
    else if (/\.ya?ml$/.test(file)) out.push(file);
  }
  return out;
}

/** Manifests parsed; a file unread, or left by the fast path to the full parser, counts none. */
function parseAll(files: readonly string[]): number {
  let manifests = 0;
  for (const file of files) {
    const read = readSourceFile(file, file, DEFAULT_MAX_FILE_BYTES).file;
    if ('text' in read)
      manifests += parseWithoutFullParser(file, read.text, DEFAULT_PARSE_LIMITS)?.manifests.length ?? 0;
  }
  return manifests;
}

if (isMainThread) {
  const files = walk(process.argv[2]!, []);
  const threads = parserThreadCount() + 1;
  const share = (n: number) =>
    files.slice(Math.floor((files.length * n) / threads), Math.floor((files.length * (n + 1)) / threads));
  const replies = Array.from(
    { length: threads - 1 },
    (_, n) =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: share(n + 1) });
        worker.once('message', (parsed: number) => {
          resolve(parsed);
          void worker.terminate();
        });
        worker.once('error', reject);
      }),
  );
  const mine = parseAll(share(0));
  const theirs = await Promise.all(replies);
  process.stdout.write(`${theirs.reduce((sum, parsed) => sum + parsed, mine)}\n`);
} else {
  parentPort!.postMessage(parseAll(workerData as string[]));
}
