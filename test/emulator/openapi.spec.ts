import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import {
  audienceBody,
  useEmulator,
  type ApiResponse,
  type RequestOptions,
} from '../helpers/with-emulator.js';
import { fixture } from './reference-samples.js';
import { OpenApiValidator, type Checked } from './openapi-validator.js';

/**
 * Drives every endpoint through its success and error answers and validates each real
 * response against specs/external-audiences.openapi.yaml with ajv.
 */
describe('the emulator answers as specs/external-audiences.openapi.yaml says', () => {
  const emulator = useEmulator({ operationDelayMs: 40, runStageDelayMs: 40 });
  const spec = new OpenApiValidator();
  const checked: Checked[] = [];

  async function call(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const response = await emulator().request(method, path, options);
    checked.push(spec.check(method, path, response.status, response.body));
    return response;
  }

  async function ims(form: Record<string, string>): Promise<void> {
    const response = await fetch(emulator().imsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    checked.push(spec.check('POST', '/ims/token/v3', response.status, await response.json()));
  }

  async function settle(path: string): Promise<void> {
    await emulator().waitFor(path, (body) => body['status'] !== 'PROCESSING');
    await call('GET', path);
  }

  it('validates the IMS answers', async () => {
    const form = {
      grant_type: 'client_credentials',
      client_id: DEMO_CLIENT.clientId,
      client_secret: DEMO_CLIENT.clientSecret,
    };
    await ims(form);
    await ims({ ...form, client_id: 'nobody' });
    await ims({ ...form, client_secret: 'wrong' });
  });

  it('validates the audience endpoints', async () => {
    const sample = fixture('create-audience.request.json');
    const created = await call('POST', '/external-audience/', { body: sample });
    const { operationId } = created.body as { operationId: string };
    await call('GET', `/external-audiences/operations/${operationId}`);
    await settle(`/external-audiences/operations/${operationId}`);
    const done = await call('GET', `/external-audience/operations/${operationId}`);
    const id = (done.body as { audienceId: string }).audienceId;
    await call('POST', '/external-audience/', { body: sample });
    await call('POST', '/external-audience/', { body: { name: 'incomplete' } });
    await call('GET', '/external-audiences/operations/unknown');

    emulator().control.queueFault({ kind: 'operationFailure' });
    const failing = await call('POST', '/external-audience/', {
      body: audienceBody({ customAudienceId: 'crm-1', namespace: 'Custom', tags: ['t'] }),
    });
    await settle(`/external-audiences/operations/${(failing.body as { operationId: string }).operationId}`);

    await call('PATCH', `/external-audience/${id}`, {
      body: { description: 'x', fields: [{ name: 'list_id' }] },
    });
    await call('PATCH', `/external-audience/${id}`, { body: { name: 'no' } });
    await call('PATCH', `/external-audience/${id}`, { body: { ttlInDays: 0 } });
    await call('PATCH', '/external-audience/unknown', { body: {} });
    await call('POST', `/external-audience/extend-ttl/${id}`, { body: { ttlInDays: 10 } });
    await call('POST', '/external-audience/extend-ttl/unknown');
    await call('DELETE', `/external-audience/${id}/`);
    await call('DELETE', `/external-audience/${id}/`);
  });

  it('validates the run endpoints', async () => {
    const { control } = emulator();
    /** The run a start answered; a refused start fails here, not in a 60 s wait on runs/undefined. */
    const runPath = (audienceId: string, start: ApiResponse) => {
      expect(start.status, start.text).toBe(200);
      return `/external-audience/${audienceId}/runs/${(start.body as { runId: string }).runId}`;
    };
    // The second start is refused because the first run is in progress: its stages take an hour
    // (a run keeps the delay it started with), so no pause of a loaded machine ends it first.
    // With 40 ms stages one did: the second start began a run of its own, still in progress when
    // the failing run below was started, which was refused.
    const held = await emulator().createAudience(audienceBody());
    control.setDelays({ runStageDelayMs: 3_600_000 });
    const inProgress = await call('POST', `/external-audience/${held}/runs`, {
      body: { dataFilterStartTime: 764245635 },
    }).finally(() => control.setDelays({ runStageDelayMs: 40 }));
    const refused = await call('POST', `/external-audience/${held}/runs`, {
      body: { dataFilterStartTime: 764245635 },
    });
    expect(refused.status, refused.text).toBe(422);
    await call('POST', `/external-audience/${held}/runs`, { body: { dataFilterStartTime: 'soon' } });
    await call('GET', runPath(held, inProgress));

    // Runs that end, one after the other: each is started once the one before has ended.
    const id = await emulator().createAudience(audienceBody());
    const started = await call('POST', `/external-audience/${id}/runs`, {
      body: { dataFilterStartTime: 764245635 },
    });
    await settle(runPath(id, started));
    control.queueFault({ kind: 'runFailure' });
    const failed = await call('POST', `/external-audience/${id}/runs`, { body: { dataFilterStartTime: 1 } });
    await settle(runPath(id, failed));
    await call('GET', `/external-audience/${id}/runs`, {
      query: { limit: '5', sortBy: 'name', property: 'status=FAILED' },
    });
    await call('GET', `/external-audience/${id}/runs`);
    await call('GET', `/external-audience/${id}/runs`, { query: { limit: '99' } });
    await call('GET', `/external-audience/${id}/runs/unknown`);
    await call('POST', '/external-audience/unknown/runs', { body: { dataFilterStartTime: 1 } });
    await call('GET', '/external-audience/unknown/runs');
  });

  it('validates gateway and fault answers', async () => {
    const lookup = '/external-audiences/operations/none';
    await call('GET', lookup, { headers: { 'x-api-key': undefined } });
    await call('GET', lookup, { headers: { authorization: 'Bearer expired.or.forged' } });
    emulator().control.queueFault({ kind: 'error500' });
    await call('GET', lookup);
    emulator().control.queueFault({ kind: 'error502' });
    await call('GET', lookup);
    emulator().control.setRateLimit({ perSecond: 0.01, burst: 1 });
    await call('GET', lookup);
    const limited = await call('GET', lookup);
    emulator().control.setRateLimit(undefined);
    expect(limited.status).toBe(429);
  });

  it("validates a queued clientError's refusal against the Error schema", async () => {
    emulator().control.queueFault({ kind: 'clientError', endpoint: 'getOperation', status: 403 });
    const refused = await emulator().request('GET', '/external-audiences/operations/none');
    expect([refused.status, (refused.body as { title: string }).title]).toEqual([403, 'FORBIDDEN']);
    spec.checkSchema('Error', refused.body);
  });

  it('validates the answers of every reading of the page the emulator can take', async () => {
    const { control } = emulator();
    const statuses: string[] = [];
    const noted = async (method: string, path: string, options: RequestOptions = {}) => {
      const response = await call(method, path, options);
      statuses.push(`${method} ${response.status}`);
      return response;
    };
    const source = { path: 'crm/gold.csv', type: 'file' };
    const id = await emulator().createAudience(audienceBody());
    try {
      for (const operationsPath of ['plural', 'singular'] as const) {
        control.updateSettings({ compat: { operationsPath } });
        const created = await noted('POST', '/external-audience/', { body: audienceBody() });
        const { operationId } = created.body as { operationId: string };
        await noted('GET', `/external-audiences/operations/${operationId}`);
        await noted('GET', `/external-audience/operations/${operationId}`);
      }
      for (const sourceSpec of ['params', 'flat'] as const) {
        control.updateSettings({ compat: { operationsPath: 'both', sourceSpec } });
        for (const shape of [{ params: source }, source])
          await noted('POST', '/external-audience/', { body: audienceBody({ sourceSpec: shape }) });
      }
      control.updateSettings({
        compat: { sourceSpec: 'both', runsListParams: 'refused', runsListPage: 'omitted' },
      });
      // Milliseconds are taken and echoed as sent unless refused.
      const started = await noted('POST', `/external-audience/${id}/runs`, {
        body: { dataFilterStartTime: 1_749_324_248_000 },
      });
      await settle(`/external-audience/${id}/runs/${(started.body as { runId: string }).runId}`);
      await noted('GET', `/external-audience/${id}/runs`, { query: { limit: '5' } });
      const bare = await noted('GET', `/external-audience/${id}/runs`);
      expect(bare.body).not.toHaveProperty('_page');
      control.updateSettings({ compat: { patchFields: 'labels-only', millisecondTimestamps: 'refused' } });
      await noted('PATCH', `/external-audience/${id}`, {
        body: { fields: [{ name: 'tier', type: 'string', labels: [] }] },
      });
      await noted('POST', `/external-audience/${id}/runs`, {
        body: { dataFilterStartTime: 1_749_324_248_000 },
      });
      // Run times answered in milliseconds: the run started, read and listed.
      control.updateSettings({ compat: { patchFields: 'lenient', runTimeUnit: 'milliseconds' } });
      const other = await emulator().createAudience(audienceBody());
      const timed = await noted('POST', `/external-audience/${other}/runs`, {
        body: { dataFilterStartTime: 1_749_324_248 },
      });
      expect((timed.body as { createdAt: number }).createdAt).toBeGreaterThan(99_999_999_999);
      await settle(`/external-audience/${other}/runs/${(timed.body as { runId: string }).runId}`);
      await noted('GET', `/external-audience/${other}/runs`);
      // The spelling not served is a 404, the served one deletes.
      for (const deletePath of ['bare', 'slash'] as const) {
        control.updateSettings({ compat: { deletePath } });
        const doomed = await emulator().createAudience(audienceBody());
        const [served, other] = deletePath === 'bare' ? ['', '/'] : ['/', ''];
        await noted('DELETE', `/external-audience/${doomed}${other}`);
        await noted('DELETE', `/external-audience/${doomed}${served}`);
      }
      // A create's and a run start's success answered with the reading's status, the same body.
      // (Each run on an audience of its own, made first: the helper's create expects the page's 202.)
      control.updateSettings({ compat: { deletePath: 'both' } });
      const fresh = [];
      for (let i = 0; i < 3; i += 1) fresh.push(await emulator().createAudience(audienceBody()));
      for (const [i, postStatus] of (['200', '201', '202'] as const).entries()) {
        control.updateSettings({ compat: { postStatus } });
        await noted('POST', '/external-audience/', { body: audienceBody() });
        await noted('POST', `/external-audience/${fresh[i]}/runs`, { body: { dataFilterStartTime: 0 } });
      }
    } finally {
      control.updateSettings({
        compat: {
          operationsPath: 'both',
          sourceSpec: 'both',
          runsListParams: 'accepted',
          runsListPage: 'included',
          patchFields: 'lenient',
          millisecondTimestamps: 'accepted',
          deletePath: 'both',
          runTimeUnit: 'seconds',
          bulkGetInactive: 'included',
          listInactive: 'property',
          postStatus: 'page',
        },
      });
    }
    expect(statuses).toEqual([
      ...['POST 202', 'GET 200', 'GET 404'], // plural only
      ...['POST 202', 'GET 404', 'GET 200'], // singular only
      ...['POST 202', 'POST 400'], // params only: under params, flat
      ...['POST 400', 'POST 202'], // flat only
      ...['POST 200', 'GET 400', 'GET 200'], // a run in milliseconds; the list's parameters refused, bare
      ...['PATCH 422', 'POST 400'], // labels-only; milliseconds refused
      ...['POST 200', 'GET 200'], // run times answered in milliseconds: started, listed
      ...['DELETE 404', 'DELETE 204'], // DELETE without a trailing slash only: with one, without
      ...['DELETE 404', 'DELETE 204'], // with a trailing slash only: without, with
      ...['POST 200', 'POST 200', 'POST 201', 'POST 201', 'POST 202', 'POST 202'], // postStatus: create, run start
    ]);
  });

  it('validates the pages of runsListCut: paged, each reachable by the link the one before names', async () => {
    const { control } = emulator();
    const id = await emulator().createAudience(audienceBody());
    control.updateSettings({
      guardrails: { runsPerAudience: 50 },
      compat: { runsListParams: 'refused', runsListCut: 'paged' },
    });
    control.setDelays({ runStageDelayMs: 0 });
    try {
      const started: string[] = [];
      for (let index = 0; index < 45; index += 1) {
        const run = await emulator().request('POST', `/external-audience/${id}/runs`, {
          body: { dataFilterStartTime: index },
        });
        started.push((run.body as { runId: string }).runId);
      }
      type Page = { runs: { runId: string }[]; _page: object; _links?: { next: { href: string } } };
      const pages: Page[] = [(await call('GET', `/external-audience/${id}/runs`)).body as Page];
      for (let next = pages.at(-1)!._links; next !== undefined; next = pages.at(-1)!._links) {
        const link = new URL(next.next.href, emulator().apiBaseUrl);
        expect(link.origin + link.pathname).toBe(`${emulator().apiBaseUrl}/external-audience/${id}/runs`);
        const start = link.searchParams.get('start')!;
        pages.push((await call('GET', `/external-audience/${id}/runs`, { query: { start } })).body as Page);
      }
      // 20 at a time, oldest first, counted; no link past the last page.
      expect(pages.map((page) => page._page)).toEqual([
        { limit: 20, count: 20, totalCount: 45 },
        { limit: 20, count: 20, totalCount: 45 },
        { limit: 20, count: 5, totalCount: 45 },
      ]);
      expect(pages.flatMap((page) => page.runs.map((run) => run.runId))).toEqual(started);
      // The commented-out parameters are still refused, and so is a `start` that is no index.
      const refused = await call('GET', `/external-audience/${id}/runs`, { query: { limit: '5' } });
      const badStart = await call('GET', `/external-audience/${id}/runs`, { query: { start: '-1' } });
      expect([refused.status, badStart.status]).toEqual([400, 400]);
      control.updateSettings({ compat: { runsListPage: 'omitted' } });
      const omitted = (await call('GET', `/external-audience/${id}/runs`)).body as Record<string, unknown>;
      expect(Object.keys(omitted)).toEqual(['runs', '_links']);
      // runsListShape: object, each page's runs keyed by their runId.
      control.updateSettings({ compat: { runsListShape: 'object' } });
      const keyed = (await call('GET', `/external-audience/${id}/runs`)).body as {
        runs: Record<string, { runId: string }>;
      };
      expect(Object.keys(keyed.runs)).toEqual(started.slice(0, 20));
      expect(Object.values(keyed.runs).map((run) => run.runId)).toEqual(started.slice(0, 20));
    } finally {
      control.setDelays({ runStageDelayMs: 40 });
      control.updateSettings({
        guardrails: { runsPerAudience: 10 },
        compat: {
          runsListParams: 'accepted',
          runsListCut: 'whole',
          runsListPage: 'included',
          runsListShape: 'array',
        },
      });
    }
  });

  it('rejects what the spec does not allow (the check is not vacuous)', () => {
    expect(() => spec.check('GET', '/external-audience/x/runs/y', 200, { runId: 1 })).toThrow(
      /does not match/,
    );
    expect(() => spec.check('GET', '/external-audience/x/runs', 400, { error: 'x' })).toThrow(
      /does not match/,
    );
    expect(() => spec.check('DELETE', '/external-audience/x', 200, undefined)).toThrow(/does not document/);
    const refusal = {
      type: 'https://ns.adobe.com/aep/errors/403',
      title: 'FORBIDDEN',
      status: 403,
      detail: 'The request was refused with HTTP 403 (injected fault).',
      report: { errorCode: '403', requestId: 'r-1' },
    };
    expect(() => spec.checkSchema('Error', refusal)).not.toThrow();
    expect(() => spec.checkSchema('Error', { ...refusal, title: 'Forbidden' })).toThrow(/does not match/);
    expect(() =>
      spec.checkSchema('Error', { ...refusal, report: { errorCode: 'a b', requestId: 'r-1' } }),
    ).toThrow(/does not match/);
    expect(() => spec.check('GET', '/nowhere', 200, {})).toThrow(/not in the OpenAPI spec/);
  });

  it('exercised every operation of the spec and every error status', () => {
    const operations = new Set(checked.map((item) => item.operationId));
    expect([...operations].sort()).toEqual(spec.operationIds().sort());
    const statuses = new Set(checked.map((item) => item.status));
    expect([...statuses].sort()).toEqual([200, 201, 202, 204, 400, 401, 404, 409, 422, 429, 500, 502]);
  });
});
