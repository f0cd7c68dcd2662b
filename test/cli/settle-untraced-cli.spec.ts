import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withTempDir } from '../helpers/cli.js';
import { restoredBeforeR1, runsByName, story, type Story } from '../helpers/cli-story.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// `state settle-run --run-id <id> [--request <token>]` on a record with no run intent: records a
// run the audience's runs list shows and the record has no trace of, newer than every run it
// records (what holds an apply's run step, review 33b H-1), and nothing else. The built CLI
// against the emulator, over a state restored from a backup older than its `request: "r1"` run.

const EMULATOR = { operationDelayMs: 20, runStageDelayMs: 20 };

/**
 * The story over a restored backup (restoredBeforeR1), its two applies and the state's reads
 * (`setUp`) run by the CLI's entry in this process: what these cases are about is the spawned
 * `state settle-run` and the apply after it.
 */
async function restored(emulator: TestEmulator, dir: string): Promise<Story & { setUp: Story['cli'] }> {
  const setUp = await story(emulator, dir, {}, { inProcess: true });
  await restoredBeforeR1(emulator, setUp, dir);
  return { ...(await story(emulator, dir)), setUp: setUp.cli };
}

describe('state settle-run of a run the state has no trace of', () => {
  it('refuses a run the record holds, one not listed, and --request without --run-id; nothing changes', async () => {
    await withEmulator(EMULATOR, async (emulator) => {
      await withTempDir(async (dir) => {
        const s = await restored(emulator, dir);
        const [first] = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').map((run) => run.runId);
        const settle = (...flags: string[]) =>
          s.cli('state', 'settle-run', 'restore-a', '--sandbox', 'prod', '--state', s.state, ...flags);
        const before = (await s.setUp('state', 'show', 'restore-a', '--sandbox', 'prod', '--state', s.state))
          .stdout;

        const held = await settle('--run-id', first!, '--request', 'r1');
        expect(held.code).toBe(1);
        expect(held.stderr).toBe(
          `Error: run ${first} is already recorded for prod/restore-a; nothing was changed\n`,
        );

        const unknown = await settle('--run-id', '00000000-0000-4000-8000-000000000000', '--request', 'r1');
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toMatch(
          /^Error: run 00000000-0000-4000-8000-000000000000 of audience [-0-9a-f]+ is not in its runs list, and prod\/restore-a has no run intent to settle; nothing was changed\n$/,
        );

        const noRun = await settle('--no-run', '--request', 'r1');
        expect(noRun.code).toBe(1);
        expect(noRun.stderr).toBe('Error: state settle-run takes --request with --run-id only\n');

        const after = (await s.setUp('state', 'show', 'restore-a', '--sandbox', 'prod', '--state', s.state))
          .stdout;
        expect(after).toBe(before);
      });
    });
  });

  it('without --request records the run, not the token: the next apply starts the run of "r1"', async () => {
    await withEmulator(EMULATOR, async (emulator) => {
      await withTempDir(async (dir) => {
        const s = await restored(emulator, dir);
        const [, second] = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').map((run) => run.runId);
        const settled = await s.cli(
          'state',
          'settle-run',
          'restore-a',
          '--sandbox',
          'prod',
          '--state',
          s.state,
          '--run-id',
          second!,
        );
        expect(settled.stderr).toBe('');
        expect(settled.stdout).toMatch(
          new RegExp(
            `^Settled prod/restore-a: run ${second} \\(SUCCESS\\) is recorded as a run of audience [-0-9a-f]+\\.\\n`,
          ),
        );
        const next = await s.apply();
        expect(next.code).toBe(0);
        expect(next.stdout).toMatch(/ok {7}prod\/restore-a run: run [-0-9a-f]+ SUCCESS/);
        expect(runsByName(emulator)).toEqual({ 'Restore A': 3 });
      });
    });
  });
});
