import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reply, startAlteringProxy, type AlteringProxy } from '../helpers/altering-proxy.js';
import { useEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';
import type { AepHttpClient } from '../../src/aep/client.js';

/**
 * The runs list's `start` reading (compat `runsListStart`) going stale (review service-43, M-1):
 * an `ignored` remembered from another process is asked once more, and a 400 that names nothing
 * (a gateway's) teaches nothing. Read as `ignored` for good, a service that pages its bare list by
 * `start` (the emulator's `runsListCut: offset`) was read as a page that may lack the newest runs,
 * and the run step of every audience past 20 runs was blocked until compat.json was emptied.
 */
describe('a remembered runsListStart that went stale', () => {
  const emulator = useEmulator({
    operationDelayMs: 0,
    runStageDelayMs: 0,
    guardrails: { runsPerAudience: 50, runsPerDayPerSandbox: 100 },
    compat: { runsListParams: 'refused', runsListCut: 'offset', runsListPage: 'omitted' },
  });
  let proxy: AlteringProxy;
  let audienceId = '';
  /** The runs the emulator holds, oldest first. */
  let started: string[] = [];

  async function finished(aep: AepHttpClient, runId: string): Promise<void> {
    for (;;) {
      const run = await aep.getRun('prod', audienceId, runId);
      if (run.status === 'SUCCESS' || run.status === 'FAILED') return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  beforeAll(async () => {
    proxy = await startAlteringProxy(emulator().url, { refusals: true });
    const aep = clientFor(emulator());
    audienceId = await createAndWait(aep, 'prod', spec());
    // 23 runs: a bare page of 20 (oldest first) and 3 newer past it.
    started = [];
    for (let n = 0; n < 23; n += 1) {
      const run = await aep.startRun('prod', audienceId, { dataFilterStartTime: 1_700_000_000 + n });
      started.push(run.runId);
      await finished(aep, run.runId);
    }
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('a fresh client reads every run (the service pages by start)', async () => {
    const runs = await clientFor(emulator()).listRuns('prod', audienceId);
    expect(new Set(runs.map((run) => run.runId))).toEqual(new Set(started));
  });

  it('a client told `ignored` by an earlier process asks start again, reads every run, and relearns paged', async () => {
    const aep = clientFor(emulator(), {
      compat: {
        operationsPath: 'plural',
        remembered: { runsListParams: 'refused', runsListStart: 'ignored' },
      },
    });
    const runs = await aep.listRuns('prod', audienceId);
    expect(new Set(runs.map((run) => run.runId))).toEqual(new Set(started));
    expect(aep.compat().runsListStart).toBe('paged');
  });

  it("a gateway's 400 to ?start= that names nothing is no reading of start", async () => {
    const aep = clientFor(emulator(), { baseUrl: `${proxy.url}/data/core/ais` });
    proxy.alter((answer) =>
      answer.query.has('start') ? reply(400, { error_code: '400000', message: 'Bad Request' }) : undefined,
    );
    await aep.listRuns('prod', audienceId).catch(() => undefined);
    proxy.alter(undefined);
    // The service answered start all along; the next read (the gateway passing it) reads every run.
    const runs = await aep.listRuns('prod', audienceId);
    expect(new Set(runs.map((run) => run.runId))).toEqual(new Set(started));
    expect(aep.compat().runsListStart).not.toBe('ignored');
  });
});
