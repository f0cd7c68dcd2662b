import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './context.js';
import { serviceNow, type Call } from './service-context.js';
import './fastify-types.js';

/** Counts a request and appends it to the request log, once. */
export function recordRequest(context: EmulatorContext, request: FastifyRequest, status: number): void {
  const state = request.emu;
  if (state.recorded || state.admin) return;
  state.recorded = true;
  const path = request.url.split('?', 1)[0] ?? request.url;
  context.recorder.record({
    requestId: request.id,
    time: state.startedAtMs,
    method: request.method,
    path,
    endpoint: state.endpoint,
    status,
    durationMs: Date.now() - state.startedAtMs,
    orgId: state.caller?.orgId ?? state.orgId,
    sandbox: state.caller?.sandbox ?? state.sandbox,
    errorCode: state.errorCode,
    fault: state.fault,
  });
}

/** Closes the connection without an answer: the client sees a reset, as with a crashed gateway. */
export function dropConnection(context: EmulatorContext, request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  recordRequest(context, request, 0);
  request.raw.socket.destroy();
}

/** The authenticated call of an API request (the gate has run, so the caller is known). */
export function callOf(context: EmulatorContext, request: FastifyRequest): Call {
  const caller = request.emu.caller;
  if (!caller) throw new Error('An API handler ran before the gate authenticated the caller');
  return {
    caller,
    scope: context.runtime.store.scope(caller.orgId, caller.sandbox),
    nowMs: serviceNow(context.runtime),
  };
}

/**
 * Sends a mutation's answer, unless a `responseLost` fault hits it: then the change stays
 * applied and the connection closes, which is what crash-safety tests of clients need.
 */
export function answerMutation(
  context: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body?: unknown,
): void {
  if (context.runtime.faults.take('responseLost', request.emu.endpoint)) {
    request.emu.fault = 'responseLost';
    dropConnection(context, request, reply);
    return;
  }
  void reply.code(status).send(body);
}
