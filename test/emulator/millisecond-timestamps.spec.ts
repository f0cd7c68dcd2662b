import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { report: { errorCode: string; errors?: { path: string; message: string }[] } };

/** The page says "epoch timestamp" for run times without a unit; refusing milliseconds is opt-in. */
describe('run times in milliseconds', () => {
  it('are accepted by default and refused (100910-400) with millisecondTimestamps: refused', async () => {
    await withEmulator({ runStageDelayMs: 1 }, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      const body = { dataFilterStartTime: 1749324248000, dataFilterEndTime: 1749324249000 };
      const accepted = await emulator.request('POST', `/external-audience/${id}/runs`, { body });
      expect(accepted.status).toBe(200);

      emulator.control.updateSettings({ compat: { millisecondTimestamps: 'refused' } });
      const other = await emulator.createAudience(audienceBody());
      const refused = await emulator.request('POST', `/external-audience/${other}/runs`, { body });
      expect(refused.status).toBe(400);
      expect((refused.body as ErrorBody).report.errorCode).toBe('100910-400');
      expect((refused.body as ErrorBody).report.errors?.map((item) => item.path)).toEqual([
        'dataFilterStartTime',
        'dataFilterEndTime',
      ]);
      const seconds = { dataFilterStartTime: 1749324248 };
      expect(
        (await emulator.request('POST', `/external-audience/${other}/runs`, { body: seconds })).status,
      ).toBe(200);
    });
  });

  it('never come from the client: its first and differential runs pass with the option on', async () => {
    await withExecutor(undefined, async (env) => {
      env.emulator.control.updateSettings({ compat: { millisecondTimestamps: 'refused' } });
      const first = await env.apply([manifestObject('gold')]);
      const second = await env.apply([manifestObject('gold', { ingestion: { request: 'r1' } })]);
      for (const outcome of [first, second]) {
        const run = outcome.report?.results.find((result) => result.step.kind === 'run');
        expect(run?.status).toBe('applied');
      }
      const audience = env.emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .find((candidate) => candidate.audienceName === 'Audience gold');
      const runs = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience!.audienceId);
      expect(runs).toHaveLength(2);
    });
  });
});
