import { createHmac } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * Bytes of webhook bodies kept in memory at once, all requests together, by default: 16 MiB,
 * three bodies at the 5 MiB cap or thousands of ordinary pushes (a few KB each). Without it,
 * requests nobody signed held 5 MiB each, 256 at a time, past the chart's 256Mi memory limit.
 */
export const DEFAULT_WEBHOOK_BODIES_KEPT = 16 * 1024 * 1024;

/** The bytes that bodies being received may keep, shared by the requests of one listener. */
export class BodyBudget {
  #free: number;

  constructor(bytes = DEFAULT_WEBHOOK_BODIES_KEPT) {
    this.#free = bytes;
  }

  /** Takes `bytes` when that many are free; false (and nothing taken) otherwise. */
  take(bytes: number): boolean {
    if (bytes > this.#free) return false;
    this.#free -= bytes;
    return true;
  }

  give(bytes: number): void {
    this.#free += bytes;
  }
}

/**
 * A webhook body as received: the HMAC-SHA256 of every byte, and the bytes themselves when the
 * budget let them be kept. `release` gives the kept bytes back (once the answer is sent).
 */
export type ReceivedBody = { digest: Buffer; body: Buffer | undefined; release: () => void };

export type BodyReceived = { received: ReceivedBody } | { refused: 400 | 413; reason: string };

/**
 * Reads a webhook body as it arrives, hashing it with `secret`. Its bytes are kept while the
 * budget allows (all of a declared Content-Length is asked for up front); past it only the hash
 * goes on, so a body nobody signed costs a chunk at a time, and is still answered 401.
 */
export function receiveWebhookBody(
  payload: Readable,
  options: { secret: string; declared: number | undefined; limit: number; budget: BodyBudget },
  done: (outcome: BodyReceived) => void,
): void {
  const { secret, declared, limit, budget } = options;
  if (declared !== undefined && declared > limit) {
    done({ refused: 413, reason: 'request body is too large' });
    return;
  }
  const hmac = createHmac('sha256', secret);
  let received = 0;
  let held = 0;
  let kept: Buffer[] | undefined = [];
  const release = () => {
    budget.give(held);
    held = 0;
  };
  if (declared !== undefined) {
    if (budget.take(declared)) held = declared;
    else kept = undefined;
  }

  const finish = (outcome: BodyReceived) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    payload.removeListener('close', onError);
    if (!('received' in outcome)) release();
    done(outcome);
  };
  function onData(chunk: Buffer | string) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limit) {
      finish({ refused: 413, reason: 'request body is too large' });
      return;
    }
    hmac.update(bytes);
    if (kept === undefined) return;
    // A body without Content-Length (chunked) asks for its bytes as they come.
    if (received > held) {
      if (budget.take(received - held)) held = received;
      else {
        kept = undefined;
        release();
        return;
      }
    }
    kept.push(bytes);
  }
  function onEnd() {
    if (declared !== undefined && received !== declared) {
      finish({ refused: 400, reason: 'request body shorter than its Content-Length' });
      return;
    }
    const body = kept === undefined ? undefined : Buffer.concat(kept, received);
    kept = undefined;
    finish({ received: { digest: hmac.digest(), body, release } });
  }
  function onError() {
    finish({ refused: 400, reason: 'request body not received' });
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  // A client gone mid-body: its kept bytes go back.
  payload.on('close', onError);
  payload.resume();
}
