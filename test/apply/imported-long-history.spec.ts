import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { goldWithHistory, importedGold, LONG_HISTORY_SERVICE } from './helpers/long-history.js';

// Review runs-40 M-1: a team takes over an audience that has run for weeks (25 runs) with
// `state import`. The service refuses the runs list's commented-out limit/sortBy and lists the
// bare list oldest first, cut at 20, counting the runs (`_page.totalCount`, emulator
// `runsListCut: page`). Every run step of the imported audience is blocked, for good: "the 5
// past the page are not all runs this state store records", though every one of them is history
// from before the import, and the service's count has not moved since the import.

describe('an imported audience with 25 runs of history, its runs list cut at 20, oldest first, counted', () => {
  it('its first requested run is started: no run has begun since the import', async () => {
    await withEmulator(LONG_HISTORY_SERVICE, async (emulator) => {
      await withTempDir(async (tmp) => {
        // The audience made by another tool (its own state), with 25 runs over the last day.
        const audienceId = await goldWithHistory(emulator, tmp);

        // The team's repository and state: the manifest, imported with credentials.
        const state = await importedGold(emulator, tmp, audienceId);

        const applied = await applyInProcess(emulator, state, {
          'gold.yaml': manifestYaml('gold', { ingestion: { request: 'r1' } }),
        });
        const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
        expect(`${step.status}: ${step.message}`).toMatch(/^applied: run .* SUCCESS$/);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(26);
      });
    });
  });
});
