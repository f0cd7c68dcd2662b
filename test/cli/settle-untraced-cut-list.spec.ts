import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// REVIEW-37v M-1 (with H-1): a colleague started a run of gold in the UI; the record has no trace
// of it. The user records it with `state settle-run gold --run-id <id>` (docs/state.md). Under
// the runsListCut reading (bare list cut at 20, oldest first, limit/sortBy refused) the run is
// past the page, and settle-run refuses it as "not in its runs list", though a GET shows it.
const modes = [
  { name: 'whole list', runsListCut: 'whole' },
  { name: 'list cut at its first page, oldest first', runsListCut: 'page' },
] as const;

describe.each(modes)('state settle-run --run-id of a run past 20 older runs ($name)', ({ runsListCut }) => {
  it('records the run the colleague started', async () => {
    await withEmulator(
      {
        operationDelayMs: 10,
        runStageDelayMs: 0,
        guardrails: { runsPerAudience: 50 },
        compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut },
      },
      async (emulator) => {
        await withTempDir(async (tmp) => {
          const state = path.join(tmp, 'state');
          await mkdir(state);
          const { clockOffsetMs } = emulator.control.updateSettings({});
          emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - 60_000 });
          await applyInProcess(emulator, state, {
            'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
          });
          const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
          const audienceId = audience!.audienceId;
          const start = async (index: number, offset: number): Promise<string> => {
            emulator.control.updateSettings({ clockOffsetMs: offset });
            const started = await emulator.request('POST', `/external-audience/${audienceId}/runs`, {
              body: { dataFilterStartTime: index },
            });
            if (started.status >= 300) throw new Error(`run ${index} not started: ${started.text}`);
            return (started.body as { runId: string }).runId;
          };
          for (let index = 0; index < 20; index += 1) await start(index, clockOffsetMs - (50 - index) * 1000);
          const store = new FileStateStore(state);
          await store.lock();
          const gold = (await store.get('prod', 'gold'))!;
          await store.put({ ...gold, imported: { at: new Date(Date.now() - 30_000).toISOString() } });
          await store.close();
          const colleagues = await start(20, clockOffsetMs - 10_000);
          emulator.control.updateSettings({ clockOffsetMs });

          const settled = await runCliInProcess(
            ['state', 'settle-run', 'gold', '--sandbox', 'prod', '--state', state, '--run-id', colleagues],
            { env: emulatorEnv(emulator) },
          );
          expect(`${settled.code} ${settled.stderr}`).toBe('0 ');
          const recorded = await new FileStateStore(state).get('prod', 'gold');
          expect(recorded?.runs.map((run) => run.runId)).toContain(colleagues);
        });
      },
    );
  });
});
