import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review verify-39, M-3: past 40 runs, a run step over a counted, oldest-first runs page starts
// its run only by the chain of `countedBefore` on the record's newest run (the record keeps its
// newest 20). A run request whose answer was lost keeps the count in its intent; the run it
// started, recorded from the intent (`state settle-run --run-id`, or adopted), did not: every
// later run step of the audience was blocked for good, every run recorded.

const CUT = {
  runStageDelayMs: 0,
  guardrails: { runsPerAudience: 100 },
  compat: { runsListParams: 'refused', runsListCut: 'page' },
} as const;
const DAY_MS = 86_400_000;
const PLAN = { runBudget: { perSandboxPerDay: 200, perAudiencePerDay: 100 } };

function runsOf(env: ExecutorEnv) {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  if (!audience) throw new Error('no audience');
  return env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId);
}

async function requestRun(env: ExecutorEnv, request: string) {
  const applied = await env.apply([manifestObject('gold', { ingestion: { request } })], { plan: PLAN });
  return applied.report!.results.find((r) => r.step.kind === 'run')!;
}

describe('an audience of more than 40 runs, listed oldest first and cut at 20, after a lost run answer', () => {
  it('starts its next run once the run the request started is settled from its intent', async () => {
    await withExecutor(CUT, async (env) => {
      await env.apply([manifestObject('gold')], { plan: PLAN });
      // One run a day: the record keeps its newest 20 runs (and those of the last day).
      for (let index = 1; index <= 40; index += 1) {
        env.emulator.control.updateSettings({ clockOffsetMs: index * DAY_MS });
        const step = await requestRun(env, `r${index}`);
        expect(`${index}: ${step.status}`).toBe(`${index}: applied`);
      }
      env.emulator.control.updateSettings({ clockOffsetMs: 41 * DAY_MS });
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      const lost = await requestRun(env, 'r41');
      expect(lost.status).not.toBe('applied');
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');
      expect(runsOf(env)).toHaveLength(42);
      const started = runsOf(env).at(-1)!.runId;

      const settled = await runCliInProcess(
        ['state', 'settle-run', 'gold', '--sandbox', 'prod', '--state', env.stateDir, '--run-id', started],
        { env: emulatorEnv(env.emulator) },
      );
      expect(settled.code).toBe(0);
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();

      env.emulator.control.updateSettings({ clockOffsetMs: 42 * DAY_MS });
      const next = await requestRun(env, 'r42');
      expect(`${next.status}: ${next.message}`).toMatch(/^applied: run .* SUCCESS$/);
      expect(runsOf(env)).toHaveLength(43);
    });
  });
});
