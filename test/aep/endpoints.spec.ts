import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { afterAll, beforeAll } from 'vitest';
import { clientFor, createAndWait, spec } from './helpers.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, operationDelayMs: 20, runStageDelayMs: 20 });
});
afterAll(async () => {
  await emulator.close();
});

describe('every endpoint against the emulator', () => {
  it('creates, looks up, patches, runs, lists and deletes', async () => {
    const client = clientFor(emulator);
    const body = spec();
    const created = await client.createAudience('prod', body);
    const operation = await client.getOperation('prod', created.operationId);
    expect(operation.operationId).toBe(created.operationId);
    expect(operation.operationDetails).toMatchObject({ name: body.name });
    const audienceId = await createAndWait(client, 'prod', spec());
    const patched = await client.patchAudience('prod', audienceId, { description: 'changed', ttlInDays: 50 });
    expect(patched).toMatchObject({ audienceId, description: 'changed', ttlInDays: 50 });
    const run = await client.startRun('prod', audienceId, { dataFilterStartTime: 0 });
    expect(run.runId).toMatch(/^[0-9a-f-]{36}$/);
    const fetched = await client.getRun('prod', audienceId, run.runId);
    expect(fetched.runId).toBe(run.runId);
    const runs = await client.listRuns('prod', audienceId);
    expect(runs.map((r) => r.runId)).toContain(run.runId);
    await client.deleteAudience('prod', audienceId);
    const left = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceId);
    expect(left).not.toContain(audienceId);
  });
});
