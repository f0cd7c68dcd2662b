import { describe, expect, it } from 'vitest';
import type { AepClient, CallOptions } from '../aep/types.js';
import { aepFailure } from '../apply/aep-failure.js';
import { shieldCalls, StoppingError } from './call-shield.js';

/** A client whose getOperation calls stay open until released, recording the signal each got. */
function slowClient() {
  const open: Array<{ signal: AbortSignal | undefined; release: () => void }> = [];
  const client = {
    getOperation: (_sandbox: string, operationId: string, options?: CallOptions) =>
      new Promise((resolve) =>
        open.push({
          signal: options?.signal,
          release: () => resolve({ operationId, status: 'SUCCESS' }),
        }),
      ),
  } as unknown as AepClient;
  return { client, open };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('shieldCalls', () => {
  it('lets calls through up to the limit per sandbox, and the rest as slots free up', async () => {
    const { client, open } = slowClient();
    const stop = new AbortController();
    const cutoff = new AbortController();
    const shielded = shieldCalls(client, { stop: stop.signal, cutoff: cutoff.signal, inFlightPerSandbox: 2 });
    const calls = [1, 2, 3].map((n) => shielded.getOperation('prod', `op-${n}`));
    const other = shielded.getOperation('dev', 'op-dev');
    await tick();
    expect(open).toHaveLength(3); // two of prod, one of dev
    expect(open[0]?.signal).toBe(cutoff.signal);
    open[0]?.release();
    await tick();
    expect(open).toHaveLength(4);
    for (const call of open.slice(1)) call.release();
    await expect(Promise.all([...calls, other])).resolves.toHaveLength(4);
  });

  it('on stop refuses queued and new calls as never sent, and lets calls in flight finish', async () => {
    const { client, open } = slowClient();
    const stop = new AbortController();
    const cutoff = new AbortController();
    const shielded = shieldCalls(client, { stop: stop.signal, cutoff: cutoff.signal, inFlightPerSandbox: 1 });
    const inFlight = shielded.getOperation('prod', 'op-1');
    const queued = shielded.getOperation('prod', 'op-2');
    await tick();
    stop.abort();
    await expect(queued).rejects.toBeInstanceOf(StoppingError);
    await expect(shielded.getOperation('prod', 'op-3')).rejects.toBeInstanceOf(StoppingError);
    expect(open[0]?.signal?.aborted).toBe(false);
    open[0]?.release();
    await expect(inFlight).resolves.toMatchObject({ operationId: 'op-1' });
    expect(open).toHaveLength(1);
    // The executor reads it as a call whose outcome is known: nothing changed.
    expect(aepFailure(new StoppingError())).toMatchObject({ outcomeUnknown: false, status: undefined });
  });
  it('lets one call fan out on its signal without a MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const seen: Array<AbortSignal | undefined> = [];
      // As the client's bulk-get: one lookup per audience its answer left out, each request
      // listening to the call's signal while it is in flight.
      const client = {
        bulkGetAudiences: async (_sandbox: string, ids: string[], options?: CallOptions) => {
          const signal = options?.signal;
          seen.push(signal);
          const listeners = ids.map(() => () => undefined);
          for (const listener of listeners) signal?.addEventListener('abort', listener);
          await tick();
          for (const listener of listeners) signal?.removeEventListener('abort', listener);
          return new Map();
        },
      } as unknown as AepClient;
      const stop = new AbortController();
      const cutoff = new AbortController();
      const pass = new AbortController();
      const shielded = shieldCalls(client, { stop: stop.signal, cutoff: cutoff.signal });
      const ids = Array.from({ length: 20 }, (_, index) => `id-${index}`);
      await shielded.bulkGetAudiences('prod', ids, { signal: pass.signal });
      await tick();
      expect(seen[0]).toBeInstanceOf(AbortSignal);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("heeds a call's own signal only when it aborts while the controller is not stopping (a lost lock)", async () => {
    const { client, open } = slowClient();
    const stop = new AbortController();
    const cutoff = new AbortController();
    const shielded = shieldCalls(client, { stop: stop.signal, cutoff: cutoff.signal, inFlightPerSandbox: 1 });
    // On stop, the pass's signal aborts too: a call on the wire still finishes.
    const stopping = new AbortController();
    const finishing = shielded.getOperation('prod', 'op-1', { signal: stopping.signal });
    await tick();
    stop.abort();
    stopping.abort();
    expect(open[0]?.signal?.aborted).toBe(false);
    open[0]?.release();
    await expect(finishing).resolves.toMatchObject({ operationId: 'op-1' });

    // The pass lost its lock, the controller goes on: on the wire, cut; queued, never sent.
    const { client: other, open: opened } = slowClient();
    const going = shieldCalls(other, {
      stop: new AbortController().signal,
      cutoff: cutoff.signal,
      inFlightPerSandbox: 1,
    });
    const lost = new AbortController();
    const inFlight = going.getOperation('prod', 'op-2', { signal: lost.signal });
    const queued = going.getOperation('prod', 'op-3', { signal: lost.signal });
    await tick();
    lost.abort(new Error('lost the state lock'));
    expect(opened).toHaveLength(1);
    expect(opened[0]?.signal?.aborted).toBe(true);
    opened[0]?.release();
    await inFlight;
    await expect(queued).rejects.toThrow('lost the state lock');
    expect(opened).toHaveLength(1);
  });
});
