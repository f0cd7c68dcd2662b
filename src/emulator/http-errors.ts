import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody, noEndpoint, validationError } from './errors.js';

/**
 * Every failure of an API request leaves as the documented error body. Fastify's own
 * client errors (unreadable body, body too large) are malformed requests, 100910-400;
 * anything unexpected is a bug of the emulator, logged and answered 100970-500.
 */
export function toApiError(error: unknown, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  const status = (error as Partial<FastifyError>).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return validationError([{ path: 'body', message: (error as Error).message }]);
  }
  request.log.error({ err: error }, 'Emulator failure');
  return new ApiError('100970-500', 'The emulator failed to process the request.');
}

/**
 * Sends and returns nothing: fastify would send a returned reply a second time. `detail`: the
 * `errorDetail` reading, for the API's answers; the admin endpoint's own say what broke.
 */
export function sendApiError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  detail: 'named' | 'appendix',
): void {
  const apiError = toApiError(error, request);
  request.emu.errorCode = apiError.code;
  const body = errorBody(apiError, request.id, request.emu.admin ? 'named' : detail);
  void reply.code(apiError.status).headers(apiError.headers).send(body);
}

export function sendNotFound(
  request: FastifyRequest,
  reply: FastifyReply,
  detail: 'named' | 'appendix',
): void {
  sendApiError(noEndpoint(request.method, request.url), request, reply, detail);
}
