import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { restoredBeforeR1, runsByName, story } from '../helpers/cli-story.js';

// Review 33b, H-1. docs/state.md, Repair recipes: "A state file is corrupt | Restore it from a backup". A backup
// is older than the service by definition. Here the backup was taken before the run that
// `ingestion.request: "r1"` asked for; restored, the next apply lists the audience's runs
// (GET .../runs, it sees a SUCCESS run newer than any its record knows) and still POSTs a
// second run for the same request token, with a dataFilterStartTime that re-ingests the
// window the unknown run already took. A duplicate ingestion run (of the 10 a day an audience
// may have) from a documented recovery step.

describe('a state store restored from an older backup', () => {
  it('does not start a second run for a request token the service already ran', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const s = await story(emulator, dir, {}, { inProcess: true });
        // The backup taken before the r1 run, restored once it ran.
        const asked = await restoredBeforeR1(emulator, s, dir);
        expect(asked.stdout).toMatch(/ok {7}prod\/restore-a run: run [-0-9a-f]+ SUCCESS/);

        const again = await s.apply();
        // Expected: the run for "r1" is not started again (the service shows a run the
        // record does not know of, newer than its newest): at most blocked/failed with an
        // explanation, never a second POST .../runs for the same token.
        expect(runsByName(emulator), 'runs started on the service').toEqual({ 'Restore A': 2 });
        expect(again.stdout).not.toMatch(/ok {7}prod\/restore-a run: run /);
        // Blocked, one line naming the audience, the unknown run and the one command.
        const [, second] = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').map((run) => run.runId);
        expect(again.code).toBe(3);
        expect(again.stdout).toMatch(
          new RegExp(
            `blocked  prod/restore-a run: audience [-0-9a-f]+ shows run ${second} \\(SUCCESS, created \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\), which this state store has no trace of, newer than every run it records: its state is older than the service \\(restored from a backup\\), or another state store or a person started it; no run is started for ingestion.request "r1" until it is recorded. If it is that run, run: audiencectl state settle-run restore-a --sandbox prod --state \\S+ --run-id ${second} --request r1\n`,
          ),
        );
      });
    });
  });

  it('is held until settle-run records the run, after which no apply starts it again', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      await withTempDir(async (dir) => {
        const s = await story(emulator, dir, {}, { inProcess: true });
        await restoredBeforeR1(emulator, s, dir);
        const blocked = await s.apply();
        expect(blocked.code).toBe(3);
        const command = /If it is that run, run: audiencectl (state settle-run .*)$/m.exec(
          blocked.stdout,
        )?.[1];
        expect(command).toBeDefined();
        const [, second] = emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod').map((run) => run.runId);

        // The command as printed (no argument in it needs quoting here).
        const settled = await s.cli(...command!.split(' '));
        expect(settled.stderr).toBe('');
        expect(settled.code).toBe(0);
        expect(settled.stdout).toContain(
          `Settled prod/restore-a: run ${second} (SUCCESS) is recorded as the run of ingestion.request "r1".\n`,
        );

        const after = await s.apply();
        expect(after.code).toBe(0);
        expect(after.stdout).not.toMatch(/prod\/restore-a run/);
        expect(runsByName(emulator), 'runs started on the service').toEqual({ 'Restore A': 2 });
        const plan = await s.cli('plan', `${dir}/m`, '--state', s.state, '--detailed-exitcode');
        expect(plan.code).toBe(0);
      });
    });
  });
});
