import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withKeptGoldDelete } from '../helpers/kept-delete.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { readAll } from '../state/helpers.js';
// Review 24, L2: apply plans after its resume, so an intent still in the state then is one this
// apply tried and could not settle. Its plan said, as `plan` does, "No steps planned, but 1
// interrupted call is settled first by apply" under "Pending (settled by apply before it
// plans)", and the apply exited 0 while `plan --detailed-exitcode` on the same state exits 2:
// a CD job went green with an unsettled delete.
describe('apply whose resume could not settle an interrupted delete', () => {
  it('says it is not settled (kept for the next apply) and exits 1; plan keeps its own wording', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withKeptGoldDelete(emulator, async ({ dir, state, env, gold, silver, goldId }) => {
        // Reverted; the next apply's lookup of gold is answered 500 on every attempt.
        await dir.write([gold, silver]);
        emulator.control.queueFault({ kind: 'error500', endpoint: 'getAudience', count: 10 });
        const kept = await runCli(['apply', dir.dir, '--state', state, '--auto-approve'], { env });
        emulator.control.clearFaults();
        expect(kept.stdout).toMatch(
          /resumed: prod\/gold: interrupted delete could not be settled \(.*\); its intent is kept for the next apply\n/,
        );
        expect(kept.stdout).toContain(
          'No steps planned, but 1 interrupted call could not be settled by this apply; it is kept for the next apply (see "Not settled").',
        );
        expect(kept.stdout).toContain(
          `Not settled (kept for the next apply): 1\n  prod/gold: an interrupted delete of ${goldId} (its outcome unknown) that this apply could not settle before it planned (its "resumed:" line says why): its intent is kept for the next apply, and no step of this plan acts on the audience before settling it\n`,
        );
        expect(kept.stdout).not.toContain('settled first by apply');
        expect(kept.stdout).not.toContain('Pending (settled by apply before it plans)');
        expect(kept.code, kept.stderr).toBe(1);
        expect((await readAll(state)).audiences.find((r) => r.key === 'gold')?.intent?.kind).toBe('delete');

        // `plan` on the same state keeps its own wording, and --detailed-exitcode says 2.
        const planned = await runCli(['plan', dir.dir, '--state', state, '--detailed-exitcode'], { env });
        expect(planned.code).toBe(2);
        expect(planned.stdout).toContain(
          'No steps planned, but 1 interrupted call is settled first by apply, which may change what it does (see "Pending").',
        );
        expect(planned.stdout).toContain('Pending (settled by apply before it plans): 1\n');

        // The service answering again, the next apply settles it (the delete finished, gold
        // created again) and exits 0: the CLI's own entry in this process (the same code and output).
        const settled = await runCliInProcess(['apply', dir.dir, '--state', state, '--auto-approve'], {
          env,
        });
        expect(settled.stdout).toContain(`resumed: prod/gold: finished an interrupted delete of ${goldId}`);
        expect(settled.stdout).not.toContain('Not settled');
        expect(settled.code, settled.stderr).toBe(0);
      });
    });
  });
});
