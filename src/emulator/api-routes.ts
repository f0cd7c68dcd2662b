import type { FastifyPluginCallback } from 'fastify';
import { audienceAnswer, operationAnswer, runAnswer, runListAnswer } from './absent-fields.js';
import { apiGate } from './api-gate.js';
import { createAudience, deleteAudience, extendTtl, findOperation } from './audience-service.js';
import type { EmulatorContext } from './context.js';
import { noEndpoint } from './errors.js';
import { observeAnswers } from './observe-hook.js';
import { answerMutation, callOf } from './http-support.js';
import { acceptJsonWhateverTheContentType } from './json-body.js';
import { patchAudience } from './patch-service.js';
import { detailsTyped } from './ttl-type.js';
import { findRun, listRuns, startRun } from './run-service.js';
import { audienceView, createdView, operationView, runStartView, runView } from './views.js';

/** A create's or run start's success status: the page's (`atPage`), or the `postStatus` reading's. */
function postStatus(reading: 'page' | '200' | '201' | '202', atPage: number): number {
  return reading === 'page' ? atPage : Number(reading);
}

type AudienceParams = { Params: { audienceId: string } };
type OperationParams = { Params: { operationId: string } };
type RunParams = { Params: { audienceId: string; runId: string } };

/** The External Audiences API, mounted under /data/core/ais (paths as the reference page writes them). */
export function apiRoutes(context: EmulatorContext): FastifyPluginCallback {
  const { runtime } = context;
  // Handlers are synchronous: no promise per request, and a check and its change are atomic.
  return function register(api, _options, done): void {
    acceptJsonWhateverTheContentType(api);
    api.addHook('onRequest', apiGate(context));
    observeAnswers(api, context);

    api.post('/external-audience/', { config: { endpoint: 'createAudience' } }, (request, reply) => {
      const operation = createAudience(runtime, callOf(context, request), request.body);
      answerMutation(
        context,
        request,
        reply,
        postStatus(runtime.settings.compat.postStatus, 202),
        detailsTyped(createdView(operation), runtime.settings.compat),
      );
    });

    // The page writes the lookup path both ways; the `operationsPath` reading decides which answer.
    for (const [spelling, path] of [
      ['plural', '/external-audiences/operations/:operationId'],
      ['singular', '/external-audience/operations/:operationId'],
    ] as const) {
      api.get<OperationParams>(path, { config: { endpoint: 'getOperation' } }, (request) => {
        const served = runtime.settings.compat.operationsPath;
        if (served !== 'both' && served !== spelling) throw noEndpoint(request.method, request.url);
        const call = callOf(context, request);
        const operation = findOperation(call, request.params.operationId);
        const audience = call.scope.audiences.get(operation.audienceId);
        return operationAnswer(operationView(operation, audience, call.nowMs), runtime.settings.compat);
      });
    }

    api.patch<AudienceParams>(
      '/external-audience/:audienceId',
      { config: { endpoint: 'patchAudience' } },
      (request, reply) => {
        const call = callOf(context, request);
        const audience = patchAudience(runtime, call, request.params.audienceId, request.body);
        answerMutation(
          context,
          request,
          reply,
          200,
          audienceAnswer(audienceView(audience), runtime.settings.compat),
        );
      },
    );

    api.delete<AudienceParams>(
      '/external-audience/:audienceId',
      { config: { endpoint: 'deleteAudience' } },
      (request, reply) => {
        // The page writes the path both ways; the `deletePath` reading decides which one answers.
        const served = runtime.settings.compat.deletePath;
        const spelling = (request.url.split('?', 1)[0] ?? '').endsWith('/') ? 'slash' : 'bare';
        if (served !== 'both' && served !== spelling) throw noEndpoint(request.method, request.url);
        deleteAudience(runtime, callOf(context, request), request.params.audienceId);
        answerMutation(context, request, reply, 204);
      },
    );

    api.post<AudienceParams>(
      '/external-audience/extend-ttl/:audienceId',
      { config: { endpoint: 'extendTtl' } },
      (request, reply) => {
        const call = callOf(context, request);
        const audience = extendTtl(runtime, call, request.params.audienceId, request.body);
        answerMutation(
          context,
          request,
          reply,
          200,
          audienceAnswer(audienceView(audience), runtime.settings.compat),
        );
      },
    );

    api.post<AudienceParams>(
      '/external-audience/:audienceId/runs',
      { config: { endpoint: 'startRun' } },
      (request, reply) => {
        const run = startRun(runtime, callOf(context, request), request.params.audienceId, request.body);
        const status = postStatus(runtime.settings.compat.postStatus, 200);
        answerMutation(context, request, reply, status, runStartView(run, runtime.settings.compat));
      },
    );

    api.get<AudienceParams>(
      '/external-audience/:audienceId/runs',
      { config: { endpoint: 'listRuns' } },
      (request) =>
        runListAnswer(
          listRuns(runtime, callOf(context, request), request.params.audienceId, request.query),
          runtime.settings.compat,
        ),
    );

    api.get<RunParams>(
      '/external-audience/:audienceId/runs/:runId',
      { config: { endpoint: 'getRun' } },
      (request) => {
        const call = callOf(context, request);
        const run = findRun(call, request.params.audienceId, request.params.runId);
        return runAnswer(runView(run, call.nowMs, runtime.settings.compat), runtime.settings.compat);
      },
    );
    done();
  };
}
