import { parentPort, workerData } from 'node:worker_threads';
import { statListing } from '../manifest/read-dir.js';
import { statRecords } from '../state/record-names.js';
import type { FactScanRequest, FactScanReply } from './fact-scan.js';

/**
 * The fact scan's thread: lists the manifests and then the records, stat-ing each file,
 * and sends each part as soon as it has it. A part that fails is sent as failed: the
 * main thread then does that part itself, and meets (and reports) the failure there.
 */
const request = workerData as FactScanRequest;
const send = (reply: FactScanReply): void => {
  const facts = 'value' in reply ? [reply.value.facts.buffer as ArrayBuffer] : [];
  parentPort!.postMessage(reply, facts);
};
if (request.manifests) {
  try {
    send({ part: 'manifests', value: statListing(request.manifests.root, request.manifests.options) });
  } catch {
    send({ part: 'manifests', failed: true });
  }
}
if (request.stateDir !== undefined) {
  try {
    send({ part: 'records', value: statRecords(request.stateDir) });
  } catch {
    send({ part: 'records', failed: true });
  }
}
