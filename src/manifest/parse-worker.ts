import { parentPort } from 'node:worker_threads';
import type { ParseLimits } from './limits.js';
import { parseManifestFile } from './parse.js';
import type { ParseJob, WorkerReply } from './parse-pool.js';

/**
 * The parser's thread: parses the chunks of files it is sent and answers each chunk
 * with one JSON string (several times cheaper to pass between threads than the
 * structured clone of thousands of small objects).
 */
const port = parentPort;
if (port) {
  port.on('message', (message: { jobs: ParseJob[]; context: ParseLimits }) => {
    const results = message.jobs.map((job) => parseManifestFile(job.path, job.text, message.context));
    port.postMessage({ results: JSON.stringify(results) } satisfies WorkerReply);
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}
