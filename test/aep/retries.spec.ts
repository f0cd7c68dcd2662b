import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AepRequestEvent } from '../../src/aep/options.js';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { clientFor, createAndWait, failure, spec } from './helpers.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, operationDelayMs: 5, runStageDelayMs: 5 });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.control.clearFaults();
  emulator.control.resetCounters();
});

const HOUR = 3_600_000;

function requestsTo(
  endpoint: keyof ReturnType<RunningEmulator['control']['counters']>['byEndpoint'],
): number {
  return emulator.control.counters().byEndpoint[endpoint].requests;
}

describe('repeatable calls are retried', () => {
  it('GET on 500 and 502, then succeeds', async () => {
    const events: AepRequestEvent[] = [];
    const client = clientFor(emulator, { onRequest: (event) => events.push(event) });
    const audienceId = await createAndWait(client, 'prod', spec());
    emulator.control.resetCounters();
    events.length = 0;
    const before = client.stats();
    emulator.control.queueFault({ kind: 'error500', endpoint: 'listRuns' });
    emulator.control.queueFault({ kind: 'error502', endpoint: 'listRuns' });
    await expect(client.listRuns('prod', audienceId)).resolves.toEqual([]);
    expect(requestsTo('listRuns')).toBe(3);
    expect(events.map((event) => [event.attempt, event.status, event.platformCode])).toEqual([
      [1, 500, '100970-500'],
      [2, 502, '100970-502'],
      [3, 200, undefined],
    ]);
    const after = client.stats();
    expect(after.retries - before.retries).toBe(2);
    expect(after.requests - before.requests).toBe(3);
  });

  it('PATCH on 500 and a lost answer, then succeeds', async () => {
    const client = clientFor(emulator);
    const audienceId = await createAndWait(client, 'prod', spec());
    emulator.control.queueFault({ kind: 'error500', endpoint: 'patchAudience' });
    emulator.control.queueFault({ kind: 'responseLost', endpoint: 'patchAudience' });
    const view = await client.patchAudience('prod', audienceId, { description: 'after faults' });
    expect(view.description).toBe('after faults');
    expect(requestsTo('patchAudience')).toBe(3);
  });

  it('DELETE on 502, then succeeds', async () => {
    const client = clientFor(emulator);
    const audienceId = await createAndWait(client, 'prod', spec());
    emulator.control.queueFault({ kind: 'error502', endpoint: 'deleteAudience', count: 2 });
    await client.deleteAudience('prod', audienceId);
    expect(requestsTo('deleteAudience')).toBe(3);
    expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceId)).not.toContain(
      audienceId,
    );
  });

  it('DELETE whose answer was lost: the retry gets the 404, with attempts telling why', async () => {
    const client = clientFor(emulator);
    const audienceId = await createAndWait(client, 'prod', spec());
    emulator.control.queueFault({ kind: 'responseLost', endpoint: 'deleteAudience' });
    const error = await failure(client.deleteAudience('prod', audienceId));
    expect(error).toMatchObject({
      status: 404,
      platformCode: '100940-404',
      code: 'AEP_NOT_FOUND',
      attempts: 2,
    });
  });

  it('GET on a dropped connection, then succeeds', async () => {
    const client = clientFor(emulator);
    emulator.control.queueFault({ kind: 'drop', endpoint: 'getOperation' });
    const error = await failure(client.getOperation('prod', 'unknown'));
    expect(error.status).toBe(404);
    expect(requestsTo('getOperation')).toBe(2);
  });

  it('GET gives up after the limit with the last status', async () => {
    const client = clientFor(emulator, { retry: { limit: 2, baseDelayMs: 1, maxDelayMs: 5 } });
    emulator.control.queueFault({ kind: 'error500', endpoint: 'getOperation', count: 10 });
    const error = await failure(client.getOperation('prod', 'x'));
    expect(error).toMatchObject({
      code: 'AEP_SERVER_ERROR',
      status: 500,
      platformCode: '100970-500',
      attempts: 3,
      outcomeUnknown: false,
    });
    expect(requestsTo('getOperation')).toBe(3);
  });

  it('GET times out, is retried and succeeds', async () => {
    const client = clientFor(emulator, { timeouts: { responseMs: 150 } });
    emulator.control.setFaults({ slowMs: 1000 });
    emulator.control.queueFault({ kind: 'slow', endpoint: 'getOperation' });
    const error = await failure(client.getOperation('prod', 'x'));
    expect(error).toMatchObject({ status: 404, attempts: 2 });
    // The emulator logs the slow request only when it finally answers; the client saw both.
    expect(client.stats().byEndpoint['getOperation']?.byStatus).toEqual({ error: 1, '404': 1 });
  });
});

// The first attempt reached the service and lost its answer (the change made: responseLost);
// its retry is then answered with something that settles nothing: a proxy's 404 page, a
// refusal, a 429 on every retry left. The last answer alone was said, its outcome known, as of
// a call that changed nothing: a DELETE's intent was cleared, and the next apply said the
// audience audiencectl's own DELETE removed "was already deleted outside audiencectl".
describe('a PATCH or DELETE whose answer was lost, its retries then answered without settling it', () => {
  const retryAnswers = [
    {
      name: "a proxy's 404 page",
      queue: (endpoint: 'deleteAudience' | 'patchAudience') =>
        emulator.control.queueFault({ kind: 'notFoundPage', endpoint, after: 1 }),
      last: /answered HTTP 404 with a body of type text\/html .*not AEP's JSON error/,
      requests: 2,
    },
    {
      name: 'a 403',
      queue: (endpoint: 'deleteAudience' | 'patchAudience') =>
        emulator.control.queueFault({ kind: 'clientError', status: 403, endpoint, after: 1 }),
      last: /client \S+ is not allowed to do this: .*HTTP 403/,
      requests: 2,
    },
    {
      name: 'a 429 on every retry',
      queue: (endpoint: 'deleteAudience' | 'patchAudience') =>
        emulator.control.queueFault({ kind: 'clientError', status: 429, endpoint, count: 10, after: 1 }),
      last: /AEP is throttling this organization; .*HTTP 429, 429050, .*5 attempts/,
      requests: 5,
    },
  ];
  const cases = (['deleteAudience', 'patchAudience'] as const).flatMap((endpoint) =>
    retryAnswers.map((answer) => ({ endpoint, ...answer })),
  );

  it.each(cases)(
    '$endpoint, then $name: outcome unknown, saying the lost answer, then the last answer as why it was not settled',
    async ({ endpoint, queue, last, requests }) => {
      const audienceId = await createAndWait(clientFor(emulator), 'prod', spec());
      emulator.control.resetCounters();
      emulator.control.queueFault({ kind: 'responseLost', endpoint });
      queue(endpoint);
      const client = clientFor(emulator);
      const call =
        endpoint === 'deleteAudience'
          ? client.deleteAudience('prod', audienceId)
          : client.patchAudience('prod', audienceId, { description: 'answer lost' });
      const error = await failure(call);
      expect(requestsTo(endpoint)).toBe(requests);
      // The first attempt made the change.
      const live = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      const audience = live.find((shown) => shown.audienceId === audienceId);
      if (endpoint === 'deleteAudience') expect(audience).toBeUndefined();
      else expect(audience?.description).toBe('answer lost');
      expect(error).toMatchObject({ outcomeUnknown: true, status: undefined, attempts: requests });
      const [said, why] = error.message.split(' It was retried, and the last attempt did not settle it: ');
      expect(said).toMatch(
        new RegExp(
          `^Cannot reach AEP \\(\\w+\\) \\(${endpoint} in sandbox "prod"; ${requests} attempts\\): .*The change may or may not have been made\\.$`,
        ),
      );
      expect(why).toMatch(last);
    },
  );
});

describe('POST is not repeated unless it provably never arrived', () => {
  it('create on 500: one attempt, outcome unknown', async () => {
    const client = clientFor(emulator);
    emulator.control.queueFault({ kind: 'error500', endpoint: 'createAudience' });
    const error = await failure(client.createAudience('prod', spec()));
    expect(error).toMatchObject({ status: 500, outcomeUnknown: true, attempts: 1, code: 'AEP_SERVER_ERROR' });
    expect(error.message).toMatch(/may or may not have been made/);
    expect(requestsTo('createAudience')).toBe(1);
  });

  it('create with a lost answer: one attempt, outcome unknown, and the audience exists', async () => {
    const client = clientFor(emulator);
    const body = spec();
    emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
    const error = await failure(client.createAudience('prod', body));
    expect(error).toMatchObject({ code: 'AEP_NETWORK', outcomeUnknown: true, attempts: 1 });
    expect(error.status).toBeUndefined();
    expect(requestsTo('createAudience')).toBe(1);
    const names = emulator.control
      .listOperations(DEMO_CLIENT.orgId, 'prod')
      .map((op) => op.operationDetails.name);
    expect(names).toContain(body.name);
  });

  it('start run on 502 and on a lost answer: never twice', async () => {
    const client = clientFor(emulator);
    const audienceId = await createAndWait(client, 'prod', spec());
    emulator.control.queueFault({ kind: 'error502', endpoint: 'startRun' });
    const refused = await failure(client.startRun('prod', audienceId, { dataFilterStartTime: 0 }));
    expect(refused).toMatchObject({ status: 502, outcomeUnknown: true, attempts: 1 });
    emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
    const lost = await failure(client.startRun('prod', audienceId, { dataFilterStartTime: 0 }));
    expect(lost).toMatchObject({ outcomeUnknown: true, attempts: 1 });
    expect(requestsTo('startRun')).toBe(2);
    expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(1);
  });

  it('create that times out after sending: outcome unknown', async () => {
    const client = clientFor(emulator, { timeouts: { responseMs: 100 } });
    emulator.control.setFaults({ slowMs: 500 });
    emulator.control.queueFault({ kind: 'slow', endpoint: 'createAudience' });
    const error = await failure(client.createAudience('prod', spec()));
    expect(error).toMatchObject({ code: 'AEP_TIMEOUT', outcomeUnknown: true, attempts: 1 });
  });

  it('create refused at connection: retried, and known not to have happened', async () => {
    const client = clientFor(emulator, {
      baseUrl: 'http://127.0.0.1:9/data/core/ais',
      retry: { limit: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const error = await failure(client.createAudience('prod', spec()));
    expect(error).toMatchObject({ code: 'AEP_NETWORK', outcomeUnknown: false, attempts: 3 });
    expect(error.message).toMatch(/ECONNREFUSED|ERR_SOCKET_CLOSED_BEFORE_CONNECTION/);
  });

  it('create answered 409 is not retried and is a known outcome', async () => {
    const client = clientFor(emulator);
    const body = spec();
    await createAndWait(client, 'prod', body);
    const error = await failure(client.createAudience('prod', body));
    expect(error).toMatchObject({
      status: 409,
      platformCode: '100950-409',
      outcomeUnknown: false,
      attempts: 1,
    });
  });
});

describe('cancellation', () => {
  it('an aborted signal stops a call in flight', async () => {
    const client = clientFor(emulator);
    const controller = new AbortController();
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    // The service has the request (its answer held back) when the caller gives up.
    const stop = emulator.control.observeRequests((request) => {
      if (request.endpoint !== 'createAudience') return undefined;
      controller.abort();
      return held;
    });
    try {
      const error = await failure(client.createAudience('prod', spec(), { signal: controller.signal }));
      expect(error).toMatchObject({ code: 'AEP_ABORTED', outcomeUnknown: true });
    } finally {
      answer();
      stop();
    }
  });

  // The client waits an hour before a retry; the caller gives up once the client has the
  // answer (its request event), on the next turn of the event loop: after the microtasks in
  // which got asks for the delay and starts the wait (or, after a 429, the pause at the gate).
  function cancelledInRetryWait(status: number) {
    const controller = new AbortController();
    const client = clientFor(emulator, {
      retry: { baseDelayMs: 2 * HOUR, maxDelayMs: 2 * HOUR, rateLimitPauseMs: HOUR },
      random: () => 0.5,
      onRequest: (event) => {
        if (event.status === status) setImmediate(() => controller.abort());
      },
    });
    return { client, signal: controller.signal };
  }

  // The attempt that reached the service may have made the change: the cancellation alone
  // was said, outcome known, as of a call never sent.
  it.each(['deleteAudience', 'patchAudience'] as const)(
    '%s answered 500, cancelled while waiting to retry: outcome unknown, the 500 said, no retry sent',
    async (endpoint) => {
      const audienceId = await createAndWait(clientFor(emulator), 'prod', spec());
      emulator.control.resetCounters();
      emulator.control.queueFault({ kind: 'error500', endpoint });
      const { client, signal } = cancelledInRetryWait(500);
      const call =
        endpoint === 'deleteAudience'
          ? client.deleteAudience('prod', audienceId, { signal })
          : client.patchAudience('prod', audienceId, { description: 'cancelled' }, { signal });
      const error = await failure(call);
      expect(error).toMatchObject({ code: 'AEP_ABORTED', outcomeUnknown: true, status: 500, attempts: 1 });
      expect(error.message).toMatch(
        new RegExp(
          `^AEP failed to process the request; retry later \\(${endpoint} in sandbox "prod"; HTTP 500, 100970-500, request id [^)]+\\)\\. .*The change may or may not have been made\\. The call was cancelled before its retry was sent\\.$`,
        ),
      );
      expect(requestsTo(endpoint)).toBe(1);
    },
  );

  it('a run request answered 429, cancelled while waiting to retry: outcome known (refused), nothing started', async () => {
    const audienceId = await createAndWait(clientFor(emulator), 'prod', spec());
    emulator.control.resetCounters();
    emulator.control.queueFault({ kind: 'clientError', status: 429, endpoint: 'startRun' });
    const { client, signal } = cancelledInRetryWait(429);
    const error = await failure(client.startRun('prod', audienceId, { dataFilterStartTime: 0 }, { signal }));
    expect(error).toMatchObject({ code: 'AEP_ABORTED', outcomeUnknown: false });
    expect(requestsTo('startRun')).toBe(1);
    expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toEqual([]);
  });

  it('an aborted signal before the call sends nothing', async () => {
    const client = clientFor(emulator);
    const error = await failure(client.getOperation('prod', 'x', { signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ code: 'AEP_ABORTED', outcomeUnknown: false });
    expect(requestsTo('getOperation')).toBe(0);
  });
});
