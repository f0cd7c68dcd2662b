import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAepClient } from '../../src/aep/client.js';
import { startController } from '../../src/daemon/controller.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { parseStateLocation } from '../../src/state/location.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { manifestYaml } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { eventually } from './helpers/controller.js';
import { controllerOptions } from './helpers/start-options.js';

// The gauges only a leader's passes set (the run budget left per sandbox, the drift its refresh
// found, the steps of its pass not finished) stayed at the deposed leader's last values while it
// said it was a standby: a dashboard summing audiencectl_drifted_audiences over the pods counted
// the drift twice, once by the new leader and once by the old, and an alert on the run budget
// read a replica that no longer runs anything (review ha-42, L-1, a known gap). A deposed
// leader's /metrics shows them as a standby's (no series), beside audiencectl_leader 0.
const HOUR = 3_600_000;
const db = usePostgres();

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** The sample lines of `name` in a /metrics text (`name 1`, `name{label="x"} 1`). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
}

describe('a leader deposed by the loss of its state lock', () => {
  it("exports none of a leader's gauges any more, as a standby", async () => {
    root = await mkdtemp(path.join(tmpdir(), 'audiencectl-deposed-gauges-'));
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    const location = await db.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    await withEmulator({ operationDelayMs: 0 }, async (emulator) => {
      const controller = await startController(
        controllerOptions(
          dir,
          parseStateLocation(location),
          {
            connect: (extras) =>
              Promise.resolve({
                client: createAepClient({
                  baseUrl: emulator.apiBaseUrl,
                  imsUrl: emulator.imsUrl,
                  defaultAccess: { credentials: DEMO_CLIENT },
                  ...extras,
                }),
                target: 'emulator',
                close: () => Promise.resolve(),
              }),
            // The first pass refreshes: the drift gauge is set.
            refreshIntervalMs: HOUR,
            electionPollMs: 20,
          },
          { dryRun: false },
        ),
      );
      const metrics = async () => (await fetch(`${controller.url}/metrics`)).text();
      try {
        const led = await eventually(
          metrics,
          (text) =>
            samples(text, 'audiencectl_run_budget_remaining').length > 0 &&
            samples(text, 'audiencectl_drifted_audiences').length > 0 &&
            controller.reconciler.status().reconcile.lastResult === 'success',
          30_000,
          "the leader's first pass",
        );
        expect(samples(led, 'audiencectl_leader')).toEqual(['audiencectl_leader 1']);

        await db.query(`SELECT pg_terminate_backend(backend_pid) FROM ${schema}.lock_state`);
        await controller.deposed;
        await controller.reconciler.settled();
        const after = await metrics();
        expect(samples(after, 'audiencectl_leader')).toEqual(['audiencectl_leader 0']);
        expect(samples(after, 'audiencectl_role_info')).toEqual(['audiencectl_role_info{role="standby"} 1']);
        expect(samples(after, 'audiencectl_run_budget_remaining')).toEqual([]);
        expect(samples(after, 'audiencectl_drifted_audiences')).toEqual([]);
        expect(samples(after, 'audiencectl_queue_depth')).toEqual(['audiencectl_queue_depth 0']);
      } finally {
        await controller.stop('test over');
      }
    });
  });
});
