import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { authenticate, headerValue } from './auth.js';
import type { EmulatorContext } from './context.js';
import { ApiError, refusalBody } from './errors.js';
import { dropConnection } from './http-support.js';
import { retryAfterHeaders } from './retry-after.js';
import { serviceNow } from './service-context.js';

/** What nginx answers for a path it does not serve: no JSON, nothing of the service's. */
const NOT_FOUND_PAGE =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/**
 * What every API request passes before its handler, in the order a real request meets them:
 * network latency, the gateway (headers, token, org, client; then the org's rate limit), and
 * the faults of a troubled service. Callback style, so the common path costs no promise.
 */
export function apiGate(context: EmulatorContext) {
  return function gate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const { settings } = context.runtime;
    const state = request.emu;
    state.orgId = headerValue(request.headers, 'x-gw-ims-org-id');
    state.sandbox = headerValue(request.headers, 'x-sandbox-name');
    const jitter = settings.latencyJitterMs > 0 ? Math.random() * settings.latencyJitterMs : 0;
    const latency = settings.latencyMs + jitter;
    if (latency > 0) setTimeout(() => admit(context, request, reply, done), latency);
    else admit(context, request, reply, done);
  };
}

function admit(
  context: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const { faults, settings } = context.runtime;
  const state = request.emu;
  // A proxy, a load balancer or a web server in front of the service answers before it: no
  // header check, no rate limit, nothing changes; only the emulator's log sees the request.
  if (faults.take('notFoundPage', state.endpoint)) {
    state.fault = 'notFoundPage';
    void reply.code(404).type('text/html').send(NOT_FOUND_PAGE);
    return;
  }
  try {
    const nowMs = serviceNow(context.runtime);
    state.caller = authenticate(request.headers, context, nowMs);
    const admission = context.buckets.take(state.caller.orgId, nowMs);
    if (!admission.ok) {
      throw new ApiError('429050', 'Too many requests for this organization; retry after the delay given.', {
        headers: admission.sendRetryAfter
          ? retryAfterHeaders(
              settings.rateLimit?.retryAfterForm ?? 'seconds',
              admission.retryAfterSeconds,
              nowMs,
            )
          : {},
      });
    }
    const endpoint = state.endpoint;
    if (faults.take('drop', endpoint)) {
      state.fault = 'drop';
      dropConnection(context, request, reply);
      done();
      return;
    }
    if (faults.take('error500', endpoint)) {
      state.fault = 'error500';
      throw new ApiError('100970-500', 'There was an issue processing the request (injected fault).');
    }
    if (faults.take('error502', endpoint)) {
      state.fault = 'error502';
      throw new ApiError('100970-502', 'A downstream dependency failed (injected fault).');
    }
    const unavailable = faults.takeUnavailable(endpoint);
    if (unavailable) {
      state.fault = 'error503';
      const body = refusalBody(503, '100970-503', request.id);
      state.errorCode = body.report.errorCode;
      const { retryAfter } = unavailable;
      if (retryAfter) void reply.headers(retryAfterHeaders(retryAfter.form, retryAfter.seconds, nowMs));
      void reply.code(503).send({ ...body, detail: 'The service is unavailable (injected fault).' });
      return;
    }
    const refusal = faults.takeRefusal(endpoint);
    if (refusal) {
      const body = refusalBody(refusal.status, refusal.errorCode, request.id);
      state.fault = 'clientError';
      state.errorCode = body.report.errorCode;
      void reply.code(refusal.status).send(body);
      return;
    }
    if (faults.take('slow', endpoint)) {
      state.fault = 'slow';
      setTimeout(done, faults.slowMs);
      return;
    }
    done();
  } catch (error) {
    done(error as Error);
  }
}
