import { describe, expect, it } from 'vitest';
import { remoteAudience, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, createAndWait, failure, spec, withRunsListAnswered } from './helpers.js';

/**
 * The page's runs list types `runs` as an Object in its property table ("an object that contains
 * the list of ingestion runs") while its sample answers an array. A service that answers the
 * Object reading, the runs keyed by their runId (`runsListShape: object`), failed the client's
 * parse of every runs list: every run step of the audience (its pre-start lookup, the settling
 * of a start whose answer was lost) failed.
 */
describe('a service that answers the runs list as an object keyed by runId (runsListShape: object)', () => {
  it('is read by listRuns as the runs it keys', async () => {
    await withEmulator(
      { compat: { runsListShape: 'object' }, operationDelayMs: 10, runStageDelayMs: 0 },
      async (emulator) => {
        const aep = clientFor(emulator, { compat: {} });
        const audienceId = await createAndWait(aep, 'prod', spec());
        const first = await aep.startRun('prod', audienceId, { dataFilterStartTime: 1000 });
        const second = await emulator.request('POST', `/external-audience/${audienceId}/runs`, {
          body: { dataFilterStartTime: 2000 },
        });
        expect(second.status).toBe(200);
        const secondId = (second.body as { runId: string }).runId;
        // Raw: the emulator does answer an object, each run under its id.
        const raw = await emulator.request('GET', `/external-audience/${audienceId}/runs`);
        const keyed = (raw.body as { runs: Record<string, { runId: string }> }).runs;
        expect(Array.isArray(keyed)).toBe(false);
        expect(Object.keys(keyed).sort()).toEqual([first.runId, secondId].sort());
        expect(keyed[secondId]?.runId).toBe(secondId);

        const listed = await aep.listRuns('prod', audienceId);
        expect(listed.map((run) => run.runId).sort()).toEqual([first.runId, secondId].sort());
        expect(listed.find((run) => run.runId === secondId)?.dataFilterStartTime).toBe(2000);
        expect(listed.complete).toBe(true);
      },
    );
  });

  it('lets run steps run: a run at the create, another whose start answer was lost settled as started', async () => {
    await withExecutor({ compat: { runsListShape: 'object' } }, async (env) => {
      const gold = (request?: string) =>
        manifestObject('gold', {
          ingestion: request === undefined ? { onCreate: true } : { onCreate: true, request },
        });
      const statuses = (outcome: Awaited<ReturnType<typeof env.apply>>) =>
        (outcome.report?.results.map((r) => `${r.step.id} ${r.status}`) ?? []).sort();
      expect(statuses(await env.apply([gold()]))).toEqual([
        'prod/gold:create applied',
        'prod/gold:run applied',
      ]);
      const { audienceId } = remoteAudience(env, 'gold');
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      expect(statuses(await env.apply([gold('r1')]))).toEqual(['prod/gold:run applied']);
      // The lost start was found on the list, not started again.
      const runs = env.emulator.control.listRuns(env.emulator.client.orgId, 'prod', audienceId);
      expect(runs).toHaveLength(2);
      expect((await env.apply([gold('r1')])).plan.steps).toEqual([]);
    });
  });

  it('takes an entry without runId under its key, and refuses any other shape in one line naming listRuns', async () => {
    await withRunsListAnswered({ compat: {} }, async ({ aep, audienceId, answering }) => {
      answering({ 'run-1': { status: 'SUCCESS', createdAt: 1_749_324_248 } });
      expect((await aep.listRuns('prod', audienceId)).map((run) => [run.runId, run.status])).toEqual([
        ['run-1', 'SUCCESS'],
      ]);

      for (const runs of ['run-1', 7, { 'run-1': { runId: 'run-2', status: 'SUCCESS' } }, { 'run-1': 5 }]) {
        answering(runs);
        const error = await failure(aep.listRuns('prod', audienceId));
        expect(error.code, JSON.stringify(runs)).toBe('AEP_BAD_RESPONSE');
        expect(error.endpoint).toBe('listRuns');
        expect(error.message).toMatch(/listRuns/);
        expect(error.message).not.toMatch(/\n/);
      }
    });
  });
});
