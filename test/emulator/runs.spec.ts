import { beforeAll, describe, expect, it } from 'vitest';
import { anyString } from './matchers.js';
import { audienceBody, useEmulator } from '../helpers/with-emulator.js';

const NO_BODY = Symbol('no body');
const HOUR_MS = 3_600_000;

type ErrorBody = { report: { errorCode: string; errors?: { path: string }[] } };
type Run = Record<string, unknown> & {
  status: string;
  details: { stage: string; status: string; flowRunId: string }[];
};

describe('ingestion runs', () => {
  const emulator = useEmulator({ runStageDelayMs: 80 });

  async function start(id: string, body: unknown = { dataFilterStartTime: 764245635 }) {
    if (body === NO_BODY) return emulator().request('POST', `/external-audience/${id}/runs`);
    return emulator().request('POST', `/external-audience/${id}/runs`, { body });
  }

  /**
   * Runs started inside `fn` take `stageMs` per stage (a run keeps the delay it started with).
   * A run only ever seen in progress takes an hour: a second of stages could end, on a loaded
   * machine, before the next request is handled.
   */
  async function slowly<T>(stageMs: number, fn: () => Promise<T>): Promise<T> {
    emulator().control.setDelays({ runStageDelayMs: stageMs });
    try {
      return await fn();
    } finally {
      emulator().control.setDelays({ runStageDelayMs: 80 });
    }
  }

  async function finish(id: string, runId: string): Promise<Run> {
    return (await emulator().waitFor(
      `/external-audience/${id}/runs/${runId}`,
      (run) => run['status'] !== 'PROCESSING',
    )) as Run;
  }

  it('goes PROCESSING -> DATASET_INGEST -> PROFILE_STORE_INGEST -> SUCCESS', async () => {
    const id = await emulator().createAudience(audienceBody());
    const started = await slowly(400, () =>
      start(id, { dataFilterStartTime: 764245635, dataFilterEndTime: 764245700 }),
    );
    expect(started.status).toBe(200);
    const { runId } = started.body as { runId: string };
    expect(started.body).toMatchObject({ differentialIngestion: false, dataFilterEndTime: 764245700 });
    const early = (await emulator().request('GET', `/external-audience/${id}/runs/${runId}`)).body as Run;
    expect(early.status).toBe('PROCESSING');
    // In progress, both stages are listed, as every sample of the page shows.
    expect(early.details).toEqual([
      { stage: 'DATASET_INGEST', status: 'PROCESSING', flowRunId: anyString },
      { stage: 'PROFILE_STORE_INGEST', status: 'PROCESSING', flowRunId: anyString },
    ]);
    const middle = (await emulator().waitFor(
      `/external-audience/${id}/runs/${runId}`,
      (run) => (run as Run).details[0]?.status === 'SUCCESS',
    )) as Run;
    expect(middle.details.map((detail) => detail.status)).toEqual([
      'SUCCESS',
      expect.stringMatching(/PROCESSING|SUCCESS/),
    ]);
    const done = await finish(id, runId);
    expect(done.status).toBe('SUCCESS');
    expect(done.details.map((detail) => [detail.stage, detail.status])).toEqual([
      ['DATASET_INGEST', 'SUCCESS'],
      ['PROFILE_STORE_INGEST', 'SUCCESS'],
    ]);
    expect(done['createdBy']).toBe('audiencectl-demo@techacct.adobe.com');
  });

  it('is differential once a previous run succeeded; the end time defaults to now', async () => {
    const id = await emulator().createAudience(audienceBody());
    const first = await start(id);
    await finish(id, (first.body as { runId: string }).runId);
    const second = await start(id);
    expect(second.body).toMatchObject({ differentialIngestion: true });
    const end = (second.body as { dataFilterEndTime: number }).dataFilterEndTime;
    expect(Math.abs(end - Date.now() / 1000)).toBeLessThan(5);
  });

  it('refuses a run while one is in progress: 100960-422', async () => {
    const id = await emulator().createAudience(audienceBody());
    expect((await slowly(HOUR_MS, () => start(id))).status).toBe(200);
    const second = await start(id);
    expect(second.status).toBe(422);
    expect((second.body as ErrorBody).report.errorCode).toBe('100960-422');
  });

  it('accepts exactly one of two concurrent run requests for one audience', async () => {
    const id = await emulator().createAudience(audienceBody());
    const results = await slowly(HOUR_MS, () => Promise.all([start(id), start(id), start(id), start(id)]));
    expect(results.map((result) => result.status).sort()).toEqual([200, 422, 422, 422]);
    const listed = await emulator().request('GET', `/external-audience/${id}/runs`);
    expect((listed.body as { runs: unknown[] }).runs).toHaveLength(1);
  });

  it('ends FAILED at PROFILE_STORE_INGEST under a runFailure fault', async () => {
    const id = await emulator().createAudience(audienceBody());
    emulator().control.queueFault({ kind: 'runFailure' });
    const started = await start(id);
    const done = await finish(id, (started.body as { runId: string }).runId);
    expect(done.status).toBe('FAILED');
    expect(done['failureReason']).toEqual(anyString);
    expect(done.details.map((detail) => detail.status)).toEqual(['SUCCESS', 'FAILED']);
    const next = await start(id);
    expect((next.body as { differentialIngestion: boolean }).differentialIngestion).toBe(false);
  });

  it.each([
    ['no body', NO_BODY, 'dataFilterStartTime'],
    ['a missing start time', { dataFilterEndTime: 5 }, 'dataFilterStartTime'],
    ['a negative start time', { dataFilterStartTime: -1 }, 'dataFilterStartTime'],
    ['a start time that is not a number', { dataFilterStartTime: '764245635' }, 'dataFilterStartTime'],
    ['an end before the start', { dataFilterStartTime: 100, dataFilterEndTime: 99 }, 'dataFilterEndTime'],
    ['an unknown property', { dataFilterStartTime: 100, full: true }, 'body'],
  ])('answers 100910-400 for %s', async (_what, body, path) => {
    const id = await emulator().createAudience(audienceBody());
    const response = await start(id, body);
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).report.errors?.map((item) => item.path)).toContain(path);
  });

  it('answers 100940-404 for an unknown audience or run, and for a run of another audience', async () => {
    const id = await emulator().createAudience(audienceBody());
    const other = await emulator().createAudience(audienceBody());
    const { runId } = (await start(id)).body as { runId: string };
    expect((await start('unknown')).status).toBe(404);
    expect((await emulator().request('GET', `/external-audience/${id}/runs/unknown`)).status).toBe(404);
    expect((await emulator().request('GET', `/external-audience/${other}/runs/${runId}`)).status).toBe(404);
    expect((await emulator().request('GET', '/external-audience/unknown/runs')).status).toBe(404);
  });
});

describe('listing runs: limit, sortBy, property filters, _page', () => {
  const emulator = useEmulator({ runStageDelayMs: 1, guardrails: { runsPerAudience: 50 } });
  let id = '';
  let runIds: string[] = [];

  async function list(query: Record<string, string | string[]>) {
    return emulator().request('GET', `/external-audience/${id}/runs`, { query });
  }

  // Every case below reads the same audience: five runs, the third failed.
  beforeAll(async () => {
    id = await emulator().createAudience(audienceBody({ name: 'Runs demo' }));
    runIds = [];
    for (let index = 0; index < 5; index += 1) {
      if (index === 2) emulator().control.queueFault({ kind: 'runFailure' });
      const started = await emulator().request('POST', `/external-audience/${id}/runs`, {
        body: { dataFilterStartTime: index },
      });
      const { runId } = started.body as { runId: string };
      runIds.push(runId);
      await emulator().waitFor(
        `/external-audience/${id}/runs/${runId}`,
        (run) => run['status'] !== 'PROCESSING',
      );
    }
  });

  it('lists newest first by default, 20 at most, with _page', async () => {
    const response = await list({});
    const body = response.body as { runs: { runId: string }[]; _page: object };
    expect(body.runs.map((run) => run.runId)).toEqual([...runIds].reverse());
    expect(body._page).toEqual({ limit: 20, count: 5, totalCount: 5 });
  });

  it("omits _page with runsListPage: omitted, as the page's sample reads", async () => {
    emulator().control.updateSettings({ compat: { runsListPage: 'omitted' } });
    try {
      const body = (await list({})).body as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['runs']);
      expect(body['runs']).toHaveLength(5);
    } finally {
      emulator().control.updateSettings({ compat: { runsListPage: 'included' } });
    }
  });

  it('honours limit and sortBy', async () => {
    const oldest = (await list({ limit: '2', sortBy: 'createdAt' })).body as {
      runs: { runId: string }[];
      _page: object;
    };
    expect(oldest.runs.map((run) => run.runId)).toEqual(runIds.slice(0, 2));
    expect(oldest._page).toEqual({ limit: 2, count: 2, totalCount: 5 });
    const byName = (await list({ sortBy: 'name' })).body as { runs: unknown[] };
    expect(byName.runs).toHaveLength(5);
  });

  it('filters on status, name and createdAt', async () => {
    const failed = (await list({ property: 'status=FAILED' })).body as { runs: { runId: string }[] };
    expect(failed.runs.map((run) => run.runId)).toEqual([runIds[2]]);
    const notFailed = (await list({ property: 'status!=FAILED' })).body as { runs: unknown[] };
    expect(notFailed.runs).toHaveLength(4);
    const named = (await list({ property: ['name=contains=runs', 'status=SUCCESS'] })).body as {
      runs: unknown[];
    };
    expect(named.runs).toHaveLength(4);
    const nameless = (await list({ property: 'name!=contains=runs' })).body as { runs: unknown[] };
    expect(nameless.runs).toHaveLength(0);
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect(((await list({ property: `createdAt<${future}` })).body as { runs: unknown[] }).runs).toHaveLength(
      5,
    );
    expect(
      ((await list({ property: `createdAt>=${future * 1000}` })).body as { runs: unknown[] }).runs,
    ).toHaveLength(0);
  });

  it.each([
    ['limit below 1', { limit: '0' }, 'limit'],
    ['limit above 40', { limit: '41' }, 'limit'],
    ['a limit that is not a number', { limit: 'all' }, 'limit'],
    ['an unknown sortBy', { sortBy: 'status' }, 'sortBy'],
    ['an unknown filter property', { property: 'runId=1' }, 'property'],
    ['a comparison createdAt does not take', { property: 'createdAt=contains=1' }, 'property'],
    ['a comparison status does not take', { property: 'status>=SUCCESS' }, 'property'],
  ])('answers 100910-400 for %s', async (_what, query, path) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).report.errors?.[0]?.path).toBe(path);
  });
});
