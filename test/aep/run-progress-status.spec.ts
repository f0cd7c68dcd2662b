import { describe, expect, it } from 'vitest';
import { remoteAudience, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, spec } from './helpers.js';

/**
 * The page's run status: "Possible statuses include `SUCCESS` and `FAILED`". It names no word for
 * a run in progress; the emulator answered the operation's `PROCESSING`. With
 * `runProgressStatus: queued` a run is `QUEUED` until its first stage has ended, then
 * `IN_PROGRESS`: words the page never shows, one followed by another, neither an end. The
 * emulator's clock is moved past each stage (an hour each), so no wall clock decides.
 */
const HOUR_MS = 3_600_000;
const QUEUED = { compat: { runProgressStatus: 'queued' }, runStageDelayMs: HOUR_MS } as const;

describe('a run in progress answered QUEUED, then IN_PROGRESS (runProgressStatus: queued)', () => {
  it('is so in the run, its stages and the status filter, then ends SUCCESS', async () => {
    await withEmulator({ ...QUEUED, operationDelayMs: 10 }, async (emulator) => {
      const aep = clientFor(emulator);
      const audienceId = await createAndWait(aep, 'prod', spec());
      const { runId } = await aep.startRun('prod', audienceId, { dataFilterStartTime: 1000 });
      const read = async () => {
        const answer = await emulator.request('GET', `/external-audience/${audienceId}/runs/${runId}`);
        const run = answer.body as { status: string; details: { status: string }[] };
        return [run.status, ...run.details.map((detail) => detail.status)];
      };
      const filtered = async (status: string) => {
        const answer = await emulator.request(
          'GET',
          `/external-audience/${audienceId}/runs?property=status=${status}`,
        );
        return (answer.body as { runs: { runId: string }[] }).runs.map((run) => run.runId);
      };
      expect(await read()).toEqual(['QUEUED', 'IN_PROGRESS', 'IN_PROGRESS']);
      expect(await filtered('QUEUED')).toEqual([runId]);
      expect(await filtered('PROCESSING')).toEqual([]);

      emulator.control.updateSettings({ clockOffsetMs: HOUR_MS + 1000 });
      expect(await read()).toEqual(['IN_PROGRESS', 'SUCCESS', 'IN_PROGRESS']);
      expect((await aep.getRun('prod', audienceId, runId)).status).toBe('IN_PROGRESS');

      emulator.control.updateSettings({ clockOffsetMs: 2 * HOUR_MS + 1000 });
      expect(await read()).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    });
  });

  it('is recorded by apply as in progress, and read as ended only once SUCCESS', async () => {
    await withExecutor(QUEUED, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: true } });
      // Its stages take an hour each on the emulator's clock, which stays put until moved below:
      // the apply's wait for the run ends first however long it is, so it is a short one.
      const applied = async () =>
        ((await env.apply([gold], { runWaitMs: 100 })).report?.results ?? []).map(
          (r) => `${r.step.id} ${r.status}`,
        );
      const recorded = async () =>
        ((await env.store().get('prod', 'gold'))?.runs ?? []).map((run) => run.status);

      expect(await applied()).toEqual(['prod/gold:create applied', 'prod/gold:run started']);
      expect(await recorded()).toEqual(['QUEUED']);
      const plan = await env.plan([gold]);
      expect(plan.steps).toEqual([]);

      env.emulator.control.updateSettings({ clockOffsetMs: 2 * HOUR_MS + 1000 });
      await env.apply([gold], { refresh: true });
      expect(await recorded()).toEqual(['SUCCESS']);
      const { audienceId } = remoteAudience(env, 'gold');
      expect(env.emulator.control.listRuns(env.emulator.client.orgId, 'prod', audienceId)).toHaveLength(1);
    });
  });
});
