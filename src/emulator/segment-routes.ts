import type { FastifyPluginCallback } from 'fastify';
import { apiGate } from './api-gate.js';
import type { EmulatorContext } from './context.js';
import { callOf } from './http-support.js';
import { acceptJsonWhateverTheContentType } from './json-body.js';
import { observeAnswers } from './observe-hook.js';
import { bulkGetAnswer, segmentAnswer, segmentListAnswer } from './absent-fields.js';
import { bulkGetAudiences, getAudience, listAudiences } from './segment-service.js';

type IdParams = { Params: { id: string } };

/**
 * The read side of the Segmentation Service's Audiences API, mounted under /data/core/ups:
 * the one API that lists audiences. Same gate (headers, token, rate limit, faults) as /core/ais.
 */
export function segmentRoutes(context: EmulatorContext): FastifyPluginCallback {
  return function register(api, _options, done): void {
    acceptJsonWhateverTheContentType(api);
    api.addHook('onRequest', apiGate(context));
    observeAnswers(api, context);
    api.get('/audiences', { config: { endpoint: 'listAudiences' } }, (request) => {
      const { compat } = context.runtime.settings;
      return segmentListAnswer(listAudiences(callOf(context, request), request.query, compat), compat);
    });
    api.post('/audiences/bulk-get', { config: { endpoint: 'bulkGetAudiences' } }, (request, reply) => {
      const { compat } = context.runtime.settings;
      const answer = bulkGetAudiences(callOf(context, request), request.body, compat);
      void reply.code(207).send(bulkGetAnswer(answer, compat));
    });
    api.get<IdParams>('/audiences/:id', { config: { endpoint: 'getAudience' } }, (request) => {
      const { compat } = context.runtime.settings;
      return segmentAnswer(getAudience(callOf(context, request), request.params.id, compat), compat);
    });
    done();
  };
}
