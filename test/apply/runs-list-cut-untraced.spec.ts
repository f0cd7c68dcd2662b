import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// REVIEW-37v H-1: the runsListCut fix (406e1b2) stops matchRun reading "no run" from a bare list
// cut at 20, oldest first. The run step reads the same list, before any request, for a run a
// person started that the record has no trace of (untracedRuns: "starting one over it would
// ingest twice"). Past the page, that run is not seen, and a second run is started over it.
const modes = [
  { name: 'whole list', runsListCut: 'whole' },
  { name: 'list cut at its first page, oldest first', runsListCut: 'page' },
] as const;

function audienceOf(env: ExecutorEnv) {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  if (!audience) throw new Error('no audience');
  return audience;
}

describe.each(modes)('a run a person started past 20 older runs ($name)', ({ runsListCut }) => {
  it('holds the run step instead of starting a second run over it', async () => {
    await withExecutor(
      {
        runStageDelayMs: 0,
        guardrails: { runsPerAudience: 50 },
        compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut },
      },
      async (env) => {
        const { clockOffsetMs } = env.emulator.control.updateSettings({});
        env.emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - 60_000 });
        await env.apply([manifestObject('gold', { ingestion: { onCreate: false } })]);
        const { audienceId } = audienceOf(env);
        const start = async (index: number, offset: number) => {
          env.emulator.control.updateSettings({ clockOffsetMs: offset });
          const started = await env.emulator.request('POST', `/external-audience/${audienceId}/runs`, {
            body: { dataFilterStartTime: index },
          });
          if (started.status >= 300) throw new Error(`run ${index} not started: ${started.text}`);
        };
        // 20 runs of history, 50..31 s ago, taken with the audience by an import 30 s ago.
        for (let index = 0; index < 20; index += 1) await start(index, clockOffsetMs - (50 - index) * 1000);
        const store = env.store();
        await store.lock();
        const gold = (await store.get('prod', 'gold'))!;
        await store.put({ ...gold, imported: { at: new Date(Date.now() - 30_000).toISOString() } });
        await store.close();
        // A person starts a run in the UI 10 s ago: the record has no trace of it.
        await start(20, clockOffsetMs - 10_000);
        env.emulator.control.updateSettings({ clockOffsetMs });

        const applied = await env.apply([
          manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } }),
        ]);
        const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
        expect(`${step.status}: ${step.message}`).toMatch(/^blocked: /);
        // It names why (the run may be past the page, or is shown) and the command that records it.
        expect(step.message).toMatch(/past the page|which this state store has no trace of/);
        expect(step.message).toContain('audiencectl state settle-run gold --sandbox prod');
        expect(step.message).toContain('--request r1');
        expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(21);
      },
    );
  });
});
