import type { MessagePort } from 'node:worker_threads';
import type { CacheFileWriter } from './cache-file.js';

/** What a thread writing a cache file is sent: the cache file and its header around the body's digest. */
export type WriteRequest = { file: string; before: string; after: string };

/** writeCacheFileInThread's messages: the request, then the body's UTF-8 batches, then 'end'. */
export type WriteMessage = { write: WriteRequest } | Uint8Array | 'end';

/** The answer to 'end': whether the file was written. */
export type WriteReply = { written: boolean };

export function isWriteMessage(message: unknown): message is WriteMessage {
  return (
    message === 'end' ||
    message instanceof Uint8Array ||
    (typeof message === 'object' && message !== null && 'write' in message)
  );
}

/**
 * The writing thread's side of writeCacheFileInThread, for the thread of its own
 * (write-worker.ts) and for a parser thread a cold plan kept for it (parse-worker.ts):
 * each message handled in order, the writer's module loaded with the request.
 */
export function cacheWriteServer(
  port: MessagePort,
  /** Called once the answer is sent. */
  answered: () => void = () => undefined,
): (message: WriteMessage) => void {
  let writer: Promise<CacheFileWriter | undefined> = Promise.resolve(undefined);
  return (message) => {
    if (message === 'end') {
      writer = writer.then((done) => {
        port.postMessage({ written: done?.finish() ?? false } satisfies WriteReply);
        answered();
        return undefined;
      });
    } else if (message instanceof Uint8Array) {
      writer = writer.then((open) => {
        open?.write(message);
        return open;
      });
    } else {
      const { file, before, after } = message.write;
      writer = import('./cache-file.js').then(
        ({ CacheFileWriter }) => new CacheFileWriter(file, (digest) => `${before}${digest}${after}`),
      );
    }
  };
}
