import { parentPort } from 'node:worker_threads';
import { cacheWriteServer, type WriteMessage } from './write-serve.js';

/** The cache writer's thread (write-thread.ts): the request, the body's batches as they come, then 'end'. */
const port = parentPort!;
// Its one file answered, the thread ends.
const serve = cacheWriteServer(port, () => port.close());
port.on('message', (message: WriteMessage) => serve(message));
