import { parentPort } from 'node:worker_threads';
import { loadCacheBytesSync } from '../cache/cache-file.js';
import { statListing } from '../manifest/read-dir.js';
import { statRecords } from '../state/record-names.js';
import type { FactScanReply, FactScanRequest, SentCacheBytes } from './fact-scan.js';

/**
 * The fact scan's thread: reads and hashes the manifest cache, lists and stats the
 * manifests, then the records, and sends each part as soon as it has it. A part that
 * fails is sent as failed (the cache, as none): the main thread then does that part
 * itself, and meets (and reports) the failure there.
 */
const port = parentPort!;
// The thread may be started before the plan knows what to scan (prestart.ts): the request comes as a message.
const request = await new Promise<FactScanRequest>((resolve) =>
  port.once('message', (message: FactScanRequest) => resolve(message)),
);

/** The bytes in a buffer of their own, which can move to the main thread. */
function cacheBytes(file: string): { value: SentCacheBytes; move: ArrayBuffer[] } {
  const loaded = loadCacheBytesSync(file);
  if (!loaded) return { value: undefined, move: [] };
  const { bytes, end, digest } = loaded;
  const own =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : new Uint8Array(bytes).buffer;
  return { value: { buffer: own, end, digest }, move: [own] };
}

type FactsReply = Extract<FactScanReply, { value: { facts: Float64Array } }>;

function sendFacts(part: FactsReply['part'], scan: () => FactsReply): void {
  try {
    const reply = scan();
    port.postMessage(reply, [reply.value.facts.buffer as ArrayBuffer]);
  } catch {
    port.postMessage({ part, failed: true } satisfies FactScanReply);
  }
}

const { manifests, stateDir } = request;
const cache = cacheBytes(manifests.cacheFile);
port.postMessage({ part: 'manifestCache', value: cache.value } satisfies FactScanReply, cache.move);
sendFacts('manifests', () => ({ part: 'manifests', value: statListing(manifests.root, manifests.options) }));
if (stateDir !== undefined) sendFacts('records', () => ({ part: 'records', value: statRecords(stateDir) }));
