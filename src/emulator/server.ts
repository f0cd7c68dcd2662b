import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { maskSecretParameters } from '../text/safe-url.js';
import { adminRoutes } from './admin-routes.js';
import { apiRoutes } from './api-routes.js';
import type { EmulatorContext } from './context.js';
import type { EmulatorControl } from './control.js';
import type { RequestState } from './fastify-types.js';
import { sendApiError, sendNotFound } from './http-errors.js';
import { recordRequest } from './http-support.js';
import { imsRoutes } from './ims-routes.js';
import { segmentRoutes } from './segment-routes.js';
import { serviceNow } from './service-context.js';

/** What `--log` shows of a request: method and URL (secret-looking query values masked), no headers. */
function loggedRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: maskSecretParameters(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort,
  };
}

export type ServerOptions = { admin: boolean; logger: boolean; defaultOrgId: string };

export const API_PREFIX = '/data/core/ais';
/** The Segmentation Service (Audiences API). */
export const SEGMENT_PREFIX = '/data/core/ups';

export async function buildServer(
  context: EmulatorContext,
  control: EmulatorControl,
  options: ServerOptions,
): Promise<FastifyInstance> {
  const idPrefix = randomBytes(4).toString('hex');
  let sequence = 0;
  const app = Fastify({
    // Fastify's request log carries method and URL only: no headers, so no tokens or secrets;
    // and the URL's secret-looking query values masked, as the client's own output does.
    logger: options.logger
      ? { level: 'info', redact: ['req.headers.authorization'], serializers: { req: loggedRequest } }
      : false,
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: () => `${idPrefix}-${(sequence++).toString(36)}`,
    // Closing must not wait for idle keep-alive connections of clients under test.
    forceCloseConnections: true,
  });

  app.decorateRequest('emu', null as unknown as RequestState);
  app.addHook('onRequest', (request, reply, done) => {
    const { config } = request.routeOptions;
    request.emu = {
      startedAtMs: Date.now(),
      endpoint: config.endpoint ?? 'unknown',
      admin: config.admin === true,
      caller: undefined,
      orgId: undefined,
      sandbox: undefined,
      fault: undefined,
      errorCode: undefined,
      recorded: false,
    };
    void reply.header('x-request-id', request.id);
    done();
  });
  // The Date header in the emulator's clock (Node's own would be the host's); one set with a
  // Retry-After date stays, so the two are of the same instant (retry-after.ts).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('date'))
      void reply.header('date', new Date(serviceNow(context.runtime)).toUTCString());
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    recordRequest(context, request, reply.statusCode);
    done();
  });
  app.setErrorHandler((error, request, reply) => {
    sendApiError(error, request, reply, context.runtime.settings.compat.errorDetail);
  });
  app.setNotFoundHandler((request, reply) => {
    sendNotFound(request, reply, context.runtime.settings.compat.errorDetail);
  });

  await app.register(imsRoutes(context));
  await app.register(apiRoutes(context), { prefix: API_PREFIX });
  await app.register(segmentRoutes(context), { prefix: SEGMENT_PREFIX });
  if (options.admin) await app.register(adminRoutes(control, options.defaultOrgId), { prefix: '/_emulator' });
  return app;
}
