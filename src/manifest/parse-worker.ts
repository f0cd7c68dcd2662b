import { parentPort } from 'node:worker_threads';
import type { ParseLimits } from './limits.js';
import { fileLine } from './file-line.js';
import { parseManifestFile } from './parse.js';
import type { ParseJob, WorkerReply } from './parse-pool.js';

/**
 * The parser's thread: parses the chunks of files it is sent (or reads them first) and
 * answers each chunk with one string (several times cheaper to pass between threads than the
 * structured clone of thousands of small objects).
 */
const port = parentPort;
if (port) {
  port.on('message', ({ jobs, context }: { jobs: ParseJob[]; context: ParseLimits }) => {
    const parse = (path: string, text: string) => parseManifestFile(path, text, context);
    // A session sends texts, or files to read (one kind per session).
    if (jobs[0]?.file) {
      const lines = jobs.map((job) => fileLine(job.file!, parse)!);
      port.postMessage({ lines: lines.join('\n') } satisfies WorkerReply);
      return;
    }
    const results = jobs.map((job) => parse(job.path, job.text ?? ''));
    port.postMessage({ results: JSON.stringify(results) } satisfies WorkerReply);
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}
