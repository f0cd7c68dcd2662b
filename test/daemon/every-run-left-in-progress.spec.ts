import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, startEmulator } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { assertBuilt, cleanUp, eventually, type TestParts } from './helpers/controller.js';
import { controllerLeavingGoldsRun } from './helpers/left-run.js';

// Review 35b, H-1. `ingestion.every` asks for a periodic run. The controller follows a run for
// --run-wait and leaves it; the recorded run stayed unfinished, since only a run step read a run
// again, and the planner plans no `every` run while the recorded one is in progress
// (src/plan/runs.ts dueRun). So after one run outlived --run-wait (30 s by default; real runs
// take minutes), the audience never got its periodic run again: no step, no message, /status
// in-sync. Now each pass reads such a run again before it plans (src/apply/left-runs.ts).
// The period passes in the service's clock (moved 10 minutes on, past the 5 minutes within which
// audiencectl trusts its own clock): runs are then timed in AEP's clock, as README says.

let parts: TestParts = {};

beforeAll(assertBuilt);
afterEach(async () => {
  await cleanUp(parts);
  parts = {};
});

describe(
  'an every run after a run the controller left in progress (review 35b)',
  { timeout: 120_000 },
  () => {
    it('starts the next periodic run once the run ended and the period passed', async () => {
      // Runs succeed, 2 x 1.5 s after they start.
      const em = await startEmulator({ port: 0, runStageDelayMs: 1_500 });
      parts.emulator = em;
      await controllerLeavingGoldsRun(
        em,
        manifestYaml('gold', { ingestion: { onCreate: true, every: '1m' } }),
        parts,
      );
      const [audience] = em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
      const runs = () => em.control.listRuns(DEMO_CLIENT.orgId, DEMO_SANDBOX, audience!.audienceId);
      // Ten minutes pass in the service: the first run has ended (SUCCESS), and the period with it.
      em.control.updateSettings({ clockOffsetMs: 10 * 60_000 });
      expect(runs().map((run) => run.status)).toEqual(['SUCCESS']);
      // A guard against hangs, not a claim about speed: a resync comes every 2 s.
      const seen = await eventually(runs, (list) => list.length >= 2, 60_000, 'the second run').catch(runs);
      expect(seen.map((run) => run.status)).toEqual(['SUCCESS', expect.any(String)]);
    });
  },
);
