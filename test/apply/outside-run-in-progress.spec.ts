import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { putAsIs, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review runs-39 M-1: before a run step starts its run, the only "in progress" it waits for is
// a run its own record holds. A run a person started in the UI (or another tool), still in
// progress, that the untraced-runs check does not hold the step for (the service answers one
// createdAt for all of an audience's runs, a reading the page allows; or the audience was
// imported while that run went on), is listed with its status by the very runs list the step
// reads before its request, and is ignored: a second run is requested over it. The page says
// such a request is refused ("You will not be able to start a new ingestion ... if a previous
// audience ingestion is already in progress"), as the emulator does (422): the step reported
// "deferred" on a refusal it could have foreseen. It must wait for the listed run, as for its own.

function audienceOf(env: ExecutorEnv) {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  if (!audience) throw new Error('no audience');
  return audience;
}

/** A run started by a person, through the API as the UI would, its stages `stageMs` each. */
async function outsideRun(env: ExecutorEnv, stageMs: number): Promise<string> {
  const { audienceId } = audienceOf(env);
  env.emulator.control.setDelays({ runStageDelayMs: stageMs });
  const started = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
    body: { dataFilterStartTime: 0 },
  });
  env.emulator.control.setDelays({ runStageDelayMs: 0 });
  if (started.status >= 300) throw new Error(`outside run not started: ${started.text}`);
  return (started.body as { runId: string }).runId;
}

const cases = [
  {
    name: 'the service answers the audience creation time as every run createdAt',
    options: { runStageDelayMs: 0, compat: { runCreatedAt: 'audience' } },
    imported: false,
  },
  {
    name: 'the audience was imported while the run went on',
    options: { runStageDelayMs: 0 },
    imported: true,
  },
] as const;

// Each case waits about a second and a half for the outside run, on an emulator of its own: they
// run at once.
describe.concurrent.each(cases)(
  'a run started outside audiencectl, still in progress ($name)',
  ({ options, imported }) => {
    it('is waited for: no second run is requested while the service lists it in progress', async () => {
      await withExecutor(options, async (env) => {
        await env.apply([manifestObject('gold')]);
        expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
        // A person starts a run in the UI; it takes about a second and a half.
        const outside = await outsideRun(env, 800);
        if (imported) {
          const gold = (await env.store().get('prod', 'gold'))!;
          await putAsIs(env, {
            ...gold,
            runs: [],
            imported: { at: new Date(Date.now() + 1000).toISOString() },
          });
        }
        env.emulator.control.resetCounters();

        const applied = await env.apply([manifestObject('gold', { ingestion: { request: 'r1' } })]);
        const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
        // No run request while the listed run was in progress: none refused, none taken.
        const starts = env.emulator.control.requestLog().filter((entry) => entry.endpoint === 'startRun');
        expect(starts.map((entry) => entry.status).filter((status) => status !== 200)).toEqual([]);
        // It waited for that run (--run-wait), then started its own.
        expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
        const runs = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod');
        expect(runs).toHaveLength(3);
        expect(runs.map((run) => run.runId)).toContain(outside);
      });
    });
  },
);
