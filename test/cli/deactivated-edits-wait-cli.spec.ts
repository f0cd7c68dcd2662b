import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review cli-40, gap 4: a colleague deactivates gold in the AEP UI; meanwhile its manifest's
// description is edited. `plan --refresh` blocks gold's update (no call reactivates it), but
// the blocked step shows none of the manifest's edits: the reviewer cannot tell that an edit
// is waiting, nor which, and after reactivation the PATCH comes as a surprise.
describe('plan --refresh of a deactivated audience whose manifest was edited', () => {
  it('lists the edits that wait for the reactivation in the blocked step (text and JSON)', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        const applied = { 'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }) };
        await writeFile(path.join(dir, 'gold.yaml'), applied['gold.yaml']);
        await applyInProcess(emulator, state, applied);
        const id = (await readState(state)).audiences.find((r) => r.key === 'gold')?.audienceId ?? '';
        emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', id, { lifecycleState: 'inactive' });
        await writeFile(
          path.join(dir, 'gold.yaml'),
          manifestYaml('gold', {
            spec: { description: 'Edited while inactive' },
            ingestion: { onCreate: false },
          }),
        );

        const text = await runCli(['plan', dir, '--state', state, '--refresh'], {
          env: emulatorEnv(emulator),
        });
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toContain('deactivated outside audiencectl');
        // The edit is shown under the blocked step, as before → after.
        expect(text.stdout).toContain('~ description: "About gold" -> "Edited while inactive"');

        const json = await runCli(['plan', dir, '--state', state, '--refresh', '--output', 'json'], {
          env: emulatorEnv(emulator),
        });
        const plan = JSON.parse(json.stdout) as {
          steps: Array<{ kind: string; key: string; blocked?: string; changes?: Array<{ path: string }> }>;
        };
        expect(
          plan.steps.map((s) => `${s.kind} ${s.key} ${s.blocked === undefined ? 'open' : 'blocked'}`),
        ).toEqual(['update gold blocked']);
        expect(plan.steps[0]?.changes?.map((c) => c.path)).toEqual(['description']);
      });
    });
  });
});
