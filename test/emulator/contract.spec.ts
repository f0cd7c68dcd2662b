import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/with-emulator.js';
import { fixture, sample, shapeDifferences, type Sample } from './reference-samples.js';

/**
 * Replays every sample request of the reference page, in the page's order, with its body as
 * written and its path as written (ids replaced by the ones the previous steps returned), and
 * checks the status and the response shape the page shows.
 */
describe('contract: the reference page samples, replayed', () => {
  const emulator = useEmulator({ operationDelayMs: 30, runStageDelayMs: 30 });
  const ids: Record<string, string> = {};

  function pathOf(template: string): string {
    return template.replace(/\{(OPERATION_ID|AUDIENCE_ID|RUN_ID)\}/g, (_match, name: string) => {
      const id = ids[name];
      if (id === undefined) throw new Error(`No ${name} yet`);
      return id;
    });
  }

  async function replay(step: Sample, path = step.path) {
    const body = step.requestBody === undefined ? undefined : JSON.stringify(fixture(step.requestBody));
    return emulator().request(step.method, pathOf(path), {
      ...(body === undefined ? {} : { rawBody: body }),
      ...(step.contentType === undefined ? {} : { headers: { 'content-type': step.contentType } }),
    });
  }

  function expectSampleShape(actual: unknown, step: Sample): void {
    expect(shapeDifferences(actual, fixture(step.responseBody ?? ''))).toEqual([]);
  }

  it('creates the sample audience: 202, operationId and the details the page shows', async () => {
    const step = sample('create external audience');
    const response = await replay(step);
    expect(response.status).toBe(step.status);
    expectSampleShape(response.body, step);
    const body = response.body as Record<string, unknown>;
    // "email" comes back "Email" and "40" comes back 40, exactly as in the page's response.
    expect(body['operationDetails']).toEqual(fixture('create-audience.response.json')['operationDetails']);
    ids['OPERATION_ID'] = body['operationId'] as string;
  });

  it('retrieves the creation status, on the sample path and on the API-format path', async () => {
    const step = sample('retrieve audience creation status');
    const operation = await emulator().waitFor(pathOf(step.path), (op) => op['status'] === 'SUCCESS');
    expectSampleShape(operation, step);
    const expected = fixture('get-operation.response.json');
    expect(operation['operationDetails']).toEqual(expected['operationDetails']);
    expect(operation['audienceName']).toBe(expected['audienceName']);
    ids['AUDIENCE_ID'] = operation['audienceId'] as string;

    const viaFormat = await replay(step, step.apiFormatPath);
    expect(viaFormat.status).toBe(step.status);
    expect(viaFormat.body).toEqual(operation);
  });

  it('updates the description: 200 and the full audience as the page shows it', async () => {
    const step = sample('update an external audience');
    const response = await replay(step);
    expect(response.status).toBe(step.status);
    expectSampleShape(response.body, step);
    const dynamic = ['audienceId', 'createdBy', 'createdAt', 'updatedBy', 'updatedAt'];
    const strip = (value: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(value).filter(([key]) => !dynamic.includes(key)));
    expect(strip(response.body as Record<string, unknown>)).toEqual(strip(fixture(step.responseBody ?? '')));
  });

  it('starts an ingestion run: 200 with the run the page shows', async () => {
    const step = sample('start audience ingestion');
    const response = await replay(step);
    expect(response.status).toBe(step.status);
    expectSampleShape(response.body, step);
    const body = response.body as Record<string, unknown>;
    expect(body['dataFilterStartTime']).toBe(764245635);
    expect(body['audienceId']).toBe(ids['AUDIENCE_ID']);
    ids['RUN_ID'] = body['runId'] as string;
  });

  it('retrieves the run status with both stages once it is done', async () => {
    const step = sample('retrieve specific audience ingestion status');
    const run = await emulator().waitFor(pathOf(step.path), (body) => body['status'] !== 'PROCESSING');
    expectSampleShape(run, step);
    expect(run['status']).toBe('SUCCESS');
    expect((run['details'] as { stage: string }[]).map((detail) => detail.stage)).toEqual([
      'DATASET_INGEST',
      'PROFILE_STORE_INGEST',
    ]);
    const direct = await replay(step);
    expect(direct.status).toBe(step.status);
  });

  it('lists the runs of the audience', async () => {
    const step = sample('list audience ingestion runs');
    const response = await replay(step);
    expect(response.status).toBe(step.status);
    expectSampleShape(response.body, step);
    expect((response.body as { runs: unknown[] }).runs).toHaveLength(1);
  });

  it('deletes the audience: 204 with an empty body, then it is gone', async () => {
    const step = sample('delete an external audience');
    const response = await replay(step);
    expect(response.status).toBe(step.status);
    expect(response.text).toBe('');
    const again = await replay(step);
    expect(again.status).toBe(404);
  });
});
