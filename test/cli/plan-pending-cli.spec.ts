import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { Plan } from '../../src/plan/schema.js';
import { apply, emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 23, L2: a removal whose DELETE removed the audience but got no answer that settles it
// keeps its delete intent; the removal is then reverted. `plan` settles nothing (it is read-only)
// and said "No changes", while the apply's resume finishes the delete and the plan then creates
// the audience again. The plan names the pending intent and what the apply will do with it.
describe('plan with an interrupted delete pending', () => {
  it('names it under "Pending", does not say "No changes", and counts it as a change for --detailed-exitcode', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-plan-pending-'));
      try {
        const dir = new ManifestDir(path.join(root, 'm'));
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        const gold = manifestObject('gold', { ingestion: { onCreate: false } });
        const silver = manifestObject('silver', { ingestion: { onCreate: false } });
        await dir.write([gold, silver]);
        expect((await apply(dir.dir, state, env)).code).toBe(0);
        const goldId = emulator.control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .find((a) => a.audienceName === gold.spec.name)!.audienceId;

        // The DELETE removes gold and its answer is lost; every retry is answered 500.
        await dir.write([silver]);
        emulator.control.queueFault({ kind: 'responseLost', endpoint: 'deleteAudience' });
        emulator.control.queueFault({ kind: 'error500', endpoint: 'deleteAudience', after: 1, count: 4 });
        const removed = await apply(dir.dir, state, env);
        expect(removed.stdout).toMatch(
          /FAILED +prod\/gold delete: DELETE failed: .*its delete intent is kept/,
        );
        emulator.control.clearFaults();

        // The removal reverted.
        await dir.write([gold, silver]);
        const shown = await runCli(['plan', dir.dir, '--state', state], { env });
        expect(shown.code, shown.stderr).toBe(0);
        expect(shown.stdout).not.toMatch(/No changes/);
        expect(shown.stdout).toContain(
          'No steps planned, but 1 interrupted call is settled first by apply, which may change what it does (see "Pending").',
        );
        expect(shown.stdout).toContain(
          `Pending (settled by apply before it plans): 1\n  prod/gold: an interrupted delete of ${goldId} (its outcome unknown): apply reads the service first; if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, nothing is deleted`,
        );
        const markdown = await runCli(['plan', dir.dir, '--state', state, '--output', 'markdown'], { env });
        expect(markdown.stdout).not.toMatch(/No changes/);
        expect(markdown.stdout).toContain(
          `**Pending (settled by apply before it plans): 1**\n\n- prod/gold: an interrupted delete of ${goldId} (its outcome unknown): apply reads the service first;`,
        );
        const detailed = await runCli(['plan', dir.dir, '--state', state, '--detailed-exitcode'], { env });
        expect(detailed.code).toBe(2);
        const json = await runCli(['plan', dir.dir, '--state', state, '--output', 'json'], { env });
        expect(Plan.parse(JSON.parse(json.stdout)).pending).toEqual([
          { sandbox: 'prod', key: 'gold', kind: 'delete', audienceId: goldId, manifest: true },
        ]);

        // What the plan said: the apply finishes the delete and creates gold again.
        const applied = await apply(dir.dir, state, env);
        expect(applied.stdout).toContain(`resumed: prod/gold: finished an interrupted delete of ${goldId}`);
        expect(applied.stdout).toMatch(/ok +prod\/gold create: created /);
        const after = await runCli(['plan', dir.dir, '--state', state], { env });
        expect(after.stdout).toContain('No changes.');
        expect(after.stdout).not.toContain('Pending');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  });
});
