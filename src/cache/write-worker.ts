import { parentPort, workerData } from 'node:worker_threads';
import { CacheFileWriter } from './cache-file.js';
import type { WriteRequest } from './write-thread.js';

/** The cache writer's thread (write-thread.ts): the body's batches as they come, then 'end'. */
const { file, before, after } = workerData as WriteRequest;
const writer = new CacheFileWriter(file, (digest) => `${before}${digest}${after}`);
const port = parentPort!;
port.on('message', (message: ArrayBuffer | 'end') => {
  if (message !== 'end') return writer.write(new Uint8Array(message));
  port.postMessage(writer.finish());
  port.close();
});
