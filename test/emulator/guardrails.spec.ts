import { describe, expect, it } from 'vitest';
import { audienceBody, withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

type ErrorBody = { detail: string; report: { errorCode: string } };

async function runToEnd(emulator: TestEmulator, id: string, sandbox = 'prod') {
  const started = await emulator.request('POST', `/external-audience/${id}/runs`, {
    sandbox,
    body: { dataFilterStartTime: 1 },
  });
  if (started.status !== 200) return started;
  const { runId } = started.body as { runId: string };
  await emulator.waitFor(`/external-audience/${id}/runs/${runId}`, (run) => run['status'] !== 'PROCESSING', {
    sandbox,
  });
  return started;
}

describe('guardrails', () => {
  it('defaults to 100 runs a day per sandbox and 10 runs per audience', async () => {
    await withEmulator({}, (emulator) => {
      expect(emulator.control.settings().guardrails).toEqual({
        runsPerDayPerSandbox: 100,
        runsPerAudience: 10,
        audiencesPerSandbox: 4000,
      });
      return Promise.resolve();
    });
  });

  it('refuses a run beyond the runs per audience with 100960-422', async () => {
    await withEmulator({ runStageDelayMs: 1, guardrails: { runsPerAudience: 2 } }, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, id)).status).toBe(200);
      expect((await runToEnd(emulator, id)).status).toBe(200);
      const third = await runToEnd(emulator, id);
      expect(third.status).toBe(422);
      expect((third.body as ErrorBody).report.errorCode).toBe('100960-422');
      expect((third.body as ErrorBody).detail).toMatch(/2 runs/);
      const other = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, other)).status).toBe(200);
    });
  });

  it('refuses a run beyond the runs per day of the sandbox; other sandboxes keep theirs; deleting frees none', async () => {
    await withEmulator({ runStageDelayMs: 1, guardrails: { runsPerDayPerSandbox: 2 } }, async (emulator) => {
      const first = await emulator.createAudience(audienceBody());
      const second = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, first)).status).toBe(200);
      expect((await emulator.request('DELETE', `/external-audience/${first}`)).status).toBe(204);
      expect((await runToEnd(emulator, second)).status).toBe(200);
      const third = await emulator.createAudience(audienceBody());
      const refused = await runToEnd(emulator, third);
      expect(refused.status).toBe(422);
      expect((refused.body as ErrorBody).detail).toMatch(/today/);
      const dev = await emulator.createAudience(audienceBody(), { sandbox: 'dev' });
      expect((await runToEnd(emulator, dev, 'dev')).status).toBe(200);
    });
  });

  it('can be changed at run time', async () => {
    await withEmulator({ runStageDelayMs: 1, guardrails: { runsPerAudience: 1 } }, async (emulator) => {
      const id = await emulator.createAudience(audienceBody());
      expect((await runToEnd(emulator, id)).status).toBe(200);
      expect((await runToEnd(emulator, id)).status).toBe(422);
      emulator.control.setGuardrails({ runsPerAudience: 3 });
      expect(emulator.control.settings().guardrails.runsPerDayPerSandbox).toBe(100);
      expect((await runToEnd(emulator, id)).status).toBe(200);
    });
  });

  it('refuses an audience beyond the audiences a sandbox may hold', async () => {
    await withEmulator({ guardrails: { audiencesPerSandbox: 1 } }, async (emulator) => {
      expect((await emulator.request('POST', '/external-audience/', { body: audienceBody() })).status).toBe(
        202,
      );
      const refused = await emulator.request('POST', '/external-audience/', { body: audienceBody() });
      expect(refused.status).toBe(422);
      expect((refused.body as ErrorBody).report.errorCode).toBe('100960-422');
    });
  });
});
