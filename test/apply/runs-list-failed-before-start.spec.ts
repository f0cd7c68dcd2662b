import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The run step reads the audience's runs before it starts one, to find a run this state store
// has no trace of (another store's or a person's) and not start a second over it. A list that
// fails tells nothing of such a run: it must not be read as "none", and the run not started.

function runsOf(env: ExecutorEnv) {
  return env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod');
}

describe('the runs list read before a run is started fails', () => {
  it('no run is started over a run the list would have shown; the step says why in one line', async () => {
    await withExecutor({}, async (env) => {
      await env.apply([manifestObject('gold')]);
      const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(runsOf(env)).toHaveLength(1);

      // A minute later in AEP's clock, a person starts a run of the audience there, which this
      // store has no trace of.
      const { clockOffsetMs } = env.emulator.control.updateSettings({});
      env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs + 60_000 });
      const started = await env.emulator.request('POST', `/external-audience/${audience!.audienceId}/runs`, {
        body: { dataFilterStartTime: 0 },
      });
      expect(started.status).toBe(200);
      const theirs = (started.body as { runId: string }).runId;

      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns' });
      const requested = manifestObject('gold', { ingestion: { request: 'r1' } });
      const first = await env.apply([requested]);
      const step = first.report!.results.find((r) => r.step.kind === 'run')!;
      expect(step.status).toBe('failed');
      expect(step.message).toMatch(
        /^could not read the audience's runs before starting one \(GET \S+ answered HTTP 404 [^\n]*\): no run started; the next apply reads them again$/,
      );
      expect(
        runsOf(env)
          .map((run) => run.runId)
          .sort(),
      ).toEqual([theirs, runsOf(env).find((run) => run.runId !== theirs)!.runId].sort());
      expect(runsOf(env)).toHaveLength(2);
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();

      // The next apply reads the list: the person's run holds the step, still none started.
      const second = await env.apply([requested]);
      const again = second.report!.results.find((r) => r.step.kind === 'run')!;
      expect(again.status).toBe('blocked');
      expect(again.message).toContain(`shows run ${theirs}`);
      expect(runsOf(env)).toHaveLength(2);
    });
  });
});
