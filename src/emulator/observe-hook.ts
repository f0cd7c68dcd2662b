import type { FastifyInstance } from 'fastify';
import type { EmulatorContext, ObservedRequest } from './context.js';

/**
 * Tells the context's observers of each answered request of `api`, before its answer leaves
 * (the answer waits for them). Both APIs (/core/ais and /core/ups) mount it, so a spec sees
 * every request the client made, failed ones included. Callback style: no promise per request
 * unless a test observes the requests.
 */
export function observeAnswers(api: FastifyInstance, context: EmulatorContext): void {
  api.addHook('onSend', (request, reply, payload, done) => {
    if (context.observers.size === 0) {
      done(null, payload);
      return;
    }
    const observed: ObservedRequest = {
      endpoint: request.emu.endpoint,
      method: request.method,
      url: request.url,
      sandbox: request.emu.caller?.sandbox ?? request.emu.sandbox,
      status: reply.statusCode,
    };
    const calls = [...context.observers].map(async (observer) => observer(observed));
    Promise.all(calls).then(
      () => done(null, payload),
      (error: unknown) => done(error as Error),
    );
  });
}
