import type { AepClientOptions } from './options.js';
import type { AepClientStats } from './stats.js';
import { createTransport } from './transport.js';
import { AudienceView, CreateResponse, Operation, Run, RunList, type AepClient } from './types.js';

/** The AepClient over HTTP, plus counters for the executor's summary and the daemon's metrics. */
export interface AepHttpClient extends AepClient {
  stats(): AepClientStats;
}

/** How many runs `listRuns` asks for: the most the API returns in one page. */
const RUNS_PAGE = 40;

function segment(value: string, what: string): string {
  if (value === '') throw new TypeError(`${what} must not be empty`);
  return encodeURIComponent(value);
}

/** Newest first; runs without a creation time last (the sort is stable). */
function byNewest(a: Run, b: Run): number {
  const at = a.createdAt ?? Number.NEGATIVE_INFINITY;
  const bt = b.createdAt ?? Number.NEGATIVE_INFINITY;
  if (at === bt) return 0;
  return at > bt ? -1 : 1;
}

/**
 * The External Audiences API client, paths exactly as the reference page writes them.
 * See docs/configuration.md for tokens, budgets, timeouts, retries and errors.
 */
export function createAepClient(options: AepClientOptions = {}): AepHttpClient {
  const { send, call, stats } = createTransport(options);
  return {
    createAudience: async (sandbox, body, callOptions) =>
      call(
        sandbox,
        { endpoint: 'createAudience', method: 'POST', path: 'external-audience/', json: body },
        CreateResponse,
        callOptions,
      ),
    getOperation: async (sandbox, operationId, callOptions) =>
      call(
        sandbox,
        {
          endpoint: 'getOperation',
          method: 'GET',
          path: `external-audiences/operations/${segment(operationId, 'operationId')}`,
        },
        Operation,
        callOptions,
      ),
    patchAudience: async (sandbox, audienceId, body, callOptions) =>
      call(
        sandbox,
        {
          endpoint: 'patchAudience',
          method: 'PATCH',
          path: `external-audience/${segment(audienceId, 'audienceId')}`,
          json: body,
        },
        AudienceView,
        callOptions,
      ),
    startRun: async (sandbox, audienceId, body, callOptions) =>
      call(
        sandbox,
        {
          endpoint: 'startRun',
          method: 'POST',
          path: `external-audience/${segment(audienceId, 'audienceId')}/runs`,
          json: body,
        },
        Run,
        callOptions,
      ),
    getRun: async (sandbox, audienceId, runId, callOptions) =>
      call(
        sandbox,
        {
          endpoint: 'getRun',
          method: 'GET',
          path: `external-audience/${segment(audienceId, 'audienceId')}/runs/${segment(runId, 'runId')}`,
        },
        Run,
        callOptions,
      ),
    listRuns: async (sandbox, audienceId, callOptions) => {
      const list = await call(
        sandbox,
        {
          endpoint: 'listRuns',
          method: 'GET',
          path: `external-audience/${segment(audienceId, 'audienceId')}/runs`,
          searchParams: { limit: RUNS_PAGE, sortBy: '-createdAt' },
        },
        RunList,
        callOptions,
      );
      return [...list.runs].sort(byNewest);
    },
    deleteAudience: async (sandbox, audienceId, callOptions) => {
      await send(
        sandbox,
        {
          endpoint: 'deleteAudience',
          method: 'DELETE',
          path: `external-audience/${segment(audienceId, 'audienceId')}`,
        },
        callOptions,
      );
    },
    stats,
  };
}
