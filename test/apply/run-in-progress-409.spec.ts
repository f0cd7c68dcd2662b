import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAlteringProxy } from '../helpers/altering-proxy.js';
import { executorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor } from '../aep/helpers.js';

/**
 * The page: a new ingestion cannot be started while one is in progress; it does not say with
 * which code, and its appendix has two that fit, 100960-422 and 100950-409 (its one conflict).
 * A run another client started between the run step's list and its POST is refused so: with
 * 422 the step was deferred to the next apply, with 409 it failed ("An audience with this name
 * already exists"), a refusal no retry now fixes read as an error of this apply's.
 */
describe.each(['422', '409'] as const)('a run start refused (%s) as a run is in progress', (status) => {
  it('is deferred, the other run left alone, and nothing is said of a name', async () => {
    const options = { operationDelayMs: 10, runStageDelayMs: 60_000, compat: { runInProgress: status } };
    await withEmulator(options, async (emulator) => {
      const proxy = await startAlteringProxy(emulator.url);
      const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-run-busy-'));
      try {
        const env = executorEnv(emulator, stateDir, proxy.url);
        const quiet = manifestObject('gold', { ingestion: { onCreate: false } });
        await env.apply([quiet]);
        const audienceId = (await env.store().get('prod', 'gold'))?.audienceId ?? 'missing';
        // Another client starts a run once the step has listed none in progress.
        const other = clientFor(emulator);
        let raced: string | undefined;
        proxy.alter(async (answer) => {
          if (raced !== undefined || answer.method !== 'GET' || !answer.path.endsWith('/runs'))
            return undefined;
          raced = (await other.startRun('prod', audienceId, { dataFilterStartTime: 1000 })).runId;
          return undefined;
        });
        const outcome = await env.apply([
          manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } }),
        ]);
        expect(raced).toEqual(expect.any(String));
        const run = outcome.report?.results.find((result) => result.step.kind === 'run');
        expect(run?.status).toBe('deferred');
        expect(run?.message).not.toMatch(/name already exists/);
        const runs = emulator.control.listRuns(emulator.client.orgId, 'prod', audienceId);
        expect(runs.map((r) => r.runId)).toEqual([raced]);
      } finally {
        await proxy.close();
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  });
});
