import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { applyInProcess } from './helpers/in-process.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { goldWithRuns, importedGold } from './helpers/long-history.js';

// Review runs-41 L-1. A service that refuses limit/sortBy, answers the bare list as the page's
// sample shows it (`{ "runs": [...] }`, no `_page`), oldest first, cut at 20, and ignores
// `start` (emulator runsListParams: refused, runsListPage: omitted, runsListCut: page). Nothing
// the service says can tell a list of exactly 20 runs from one cut there, so the run step of an
// audience imported with exactly 20 runs of history is held, and the block is what the team
// acts on. It says "if one is newer than every run this store records, run: settle-run --run-id
// RUN_ID --request r1": the store records none, so every run of the history is "newer", and
// the command it names records a run from before the import as the one honouring r1 (r1 then
// never runs). It should say what the run would be newer than, as the untraced block does for
// an imported audience: created since the import (its time), and that the service was asked
// for the page after by `start` and answered the first page again.

describe('an imported audience with exactly 20 runs of history, its bare list uncounted, start ignored', () => {
  it("the held run step's block says to look for a run created since the import", async () => {
    await withEmulator(
      {
        operationDelayMs: 10,
        runStageDelayMs: 0,
        tokenLifetimeSeconds: 7 * 86_400,
        guardrails: { runsPerAudience: 50, runsPerDayPerSandbox: 100 },
        compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut: 'page' },
      },
      async (emulator) => {
        await withTempDir(async (tmp) => {
          const audienceId = await goldWithRuns(emulator, tmp, 20);
          const listed = await emulator.request('GET', `/external-audience/${audienceId}/runs`);
          expect(Object.keys(listed.body as object)).toEqual(['runs']);
          expect((listed.body as { runs: unknown[] }).runs).toHaveLength(20);

          const state = await importedGold(emulator, tmp, audienceId);

          const applied = await applyInProcess(emulator, state, {
            'gold.yaml': manifestYaml('gold', { ingestion: { request: 'r1' } }),
          });
          const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
          expect(step.status).toBe('blocked');
          expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(20);
          expect(step.message).not.toMatch(/newer than every run this store records/);
          expect(step.message).toMatch(/created since this store imported it \(\d{4}-\d\d-\d\dT[^)]*\)/);
          expect(step.message).toMatch(/start=20/);
        });
      },
    );
  });
});
