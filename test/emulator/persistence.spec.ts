import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO_CLIENT, startEmulator } from '../../src/emulator/index.js';
import { audienceBody, wrapEmulator } from '../helpers/with-emulator.js';

describe('persistence to a data directory', () => {
  let dataDir = '';

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emulator-data-'));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps audiences, operations, runs, daily run counts and tokens across a restart', async () => {
    const first = wrapEmulator(
      await startEmulator({ dataDir, runStageDelayMs: 1, guardrails: { runsPerDayPerSandbox: 2 } }),
    );
    const body = audienceBody({ name: 'Survivor' });
    const created = await first.request('POST', '/external-audience/', { body });
    const { operationId } = created.body as { operationId: string };
    const done = await first.waitFor(
      `/external-audiences/operations/${operationId}`,
      (op) => op['status'] === 'SUCCESS',
    );
    const id = done['audienceId'] as string;
    await first.request('PATCH', `/external-audience/${id}`, {
      body: { description: 'patched before restart' },
    });
    const { runId } = (
      await first.request('POST', `/external-audience/${id}/runs`, { body: { dataFilterStartTime: 1 } })
    ).body as { runId: string };
    const token = await first.token();
    await first.close();

    const second = wrapEmulator(
      await startEmulator({ dataDir, runStageDelayMs: 1, guardrails: { runsPerDayPerSandbox: 2 } }),
    );
    try {
      const headers = { authorization: `Bearer ${token}` };
      const operation = await second.request('GET', `/external-audiences/operations/${operationId}`, {
        headers,
      });
      expect(operation.status).toBe(200);
      expect(operation.body).toMatchObject({ status: 'SUCCESS', audienceId: id });
      const audiences = second.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(audiences).toEqual([
        expect.objectContaining({ audienceId: id, description: 'patched before restart' }),
      ]);
      const run = await second.request('GET', `/external-audience/${id}/runs/${runId}`, { headers });
      expect(run.body).toMatchObject({ status: 'SUCCESS' });
      expect((await second.request('POST', '/external-audience/', { body, headers })).status).toBe(409);
      const other = await second.createAudience(audienceBody());
      expect(
        (
          await second.request('POST', `/external-audience/${other}/runs`, {
            body: { dataFilterStartTime: 1 },
          })
        ).status,
      ).toBe(200);
      const third = await second.createAudience(audienceBody());
      expect(
        (
          await second.request('POST', `/external-audience/${third}/runs`, {
            body: { dataFilterStartTime: 1 },
          })
        ).status,
      ).toBe(422);
    } finally {
      await second.close();
    }
  });

  it('counts the runs of a file written before the rolling window (runs per UTC day) until that day ends', async () => {
    // Date alone is frozen (timers keep running): noon of the day the file counted.
    vi.setSystemTime(Date.UTC(2026, 0, 5, 12));
    const today = '2026-01-05';
    await writeFile(
      join(dataDir, 'emulator-state.json'),
      JSON.stringify({
        version: 1,
        signingKey: 'ab'.repeat(32),
        audiences: [],
        operations: [],
        runs: [],
        dailyRuns: { [`${DEMO_CLIENT.orgId}\u0000prod\u0000${today}`]: 2 },
      }),
    );
    const emulator = wrapEmulator(
      await startEmulator({
        dataDir,
        operationDelayMs: 0,
        runStageDelayMs: 0,
        guardrails: { runsPerDayPerSandbox: 2 },
      }),
    );
    try {
      const id = await emulator.createAudience(audienceBody());
      const refused = await emulator.request('POST', `/external-audience/${id}/runs`, {
        body: { dataFilterStartTime: 1 },
      });
      expect(refused.status).toBe(422);
    } finally {
      await emulator.close();
    }
  });

  it('finishes an operation that was PROCESSING when the emulator stopped', async () => {
    const first = wrapEmulator(await startEmulator({ dataDir, operationDelayMs: 2000 }));
    const created = await first.request('POST', '/external-audience/', { body: audienceBody() });
    const { operationId } = created.body as { operationId: string };
    await first.close();
    const second = wrapEmulator(await startEmulator({ dataDir }));
    try {
      const path = `/external-audiences/operations/${operationId}`;
      expect(((await second.request('GET', path)).body as { status: string }).status).toBe('PROCESSING');
      const done = await second.waitFor(
        `/external-audiences/operations/${operationId}`,
        (op) => op['status'] !== 'PROCESSING',
      );
      expect(done['status']).toBe('SUCCESS');
    } finally {
      await second.close();
    }
  });

  it('reports a data directory that cannot be written as a user error', async () => {
    const file = join(dataDir, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(startEmulator({ dataDir: join(file, 'state') })).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/^Cannot (read|write) .*a-file/) as unknown,
    });
  });

  it('refuses a data directory whose state file is not its own, with a message and no stack', async () => {
    await writeFile(join(dataDir, 'emulator-state.json'), '{"hello": "world"}');
    await expect(startEmulator({ dataDir })).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('not an emulator state file') as unknown,
    });
    await writeFile(join(dataDir, 'emulator-state.json'), '{not json');
    await expect(startEmulator({ dataDir })).rejects.toMatchObject({ name: 'UsageError' });
  });

  it('a write of the state installs no signal handler of its own (one re-raised a SIGTERM that came mid-write)', async () => {
    const emulator = wrapEmulator(await startEmulator({ dataDir }));
    try {
      const before = process.listenerCount('SIGTERM');
      let most = before;
      let writing = true;
      // Every turn of the event loop while the write (temp file, fsync, rename) is on its way.
      const watch = (): void => {
        most = Math.max(most, process.listenerCount('SIGTERM'));
        if (writing) setImmediate(watch);
      };
      setImmediate(watch);
      await emulator.createAudience(audienceBody());
      await emulator.control.flush();
      writing = false;
      expect(most).toBe(before);
    } finally {
      await emulator.close();
    }
  });
});
