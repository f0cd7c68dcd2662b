import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * The Audiences API's `audienceId` is the client's `customAudienceId` when one was given; its
 * `id` is the External Audiences API's audienceId (../shared/reference/audiences-api.md; the
 * emulator answers so, segment-views.ts). Refresh, drift, a deletion outside audiencectl and
 * lost state rebuilt all match such an audience by its `id`, never by the `audienceId` field
 * (review service-43: checked, coverage).
 */
describe('an audience created with a customAudienceId', () => {
  it('is refreshed, rebuilt from lost state and seen deleted by its id', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        await writeFile(
          path.join(dir, 'gold.yaml'),
          manifestYaml('gold', { spec: { customAudienceId: 'crm-gold-1' } }),
        );
        const env = emulatorEnv(emulator);
        const applied = await runCliInProcess(['apply', dir, '--state', state, '--auto-approve'], { env });
        expect(applied.code).toBe(0);
        const id = (await readState(state)).audiences[0]?.audienceId ?? '';
        expect(id).not.toBe('crm-gold-1');

        const refreshed = await runCliInProcess(
          ['plan', dir, '--state', state, '--refresh', '--detailed-exitcode'],
          { env },
        );
        expect(refreshed.stdout + refreshed.stderr).toContain('No changes');

        emulator.control.uiEditAudience(emulator.client.orgId, 'prod', id, {
          description: 'Edited in the UI',
        });
        const drifted = await runCliInProcess(['plan', dir, '--state', state, '--refresh'], { env });
        expect(drifted.stdout).toContain('Edited in the UI');

        await rm(state, { recursive: true, force: true });
        await mkdir(state);
        const discovered = await runCliInProcess(['state', 'import', '--discover', dir, '--state', state], {
          env,
        });
        expect(discovered.stdout).toMatch(new RegExp(`prod/gold\\s+matched\\s+${id}`));
        expect((await readState(state)).audiences[0]?.audienceId).toBe(id);

        emulator.control.uiDeleteAudience(emulator.client.orgId, 'prod', id);
        const gone = await runCliInProcess(['plan', dir, '--state', state, '--refresh'], { env });
        expect(gone.stdout).toContain(`audience ${id} was deleted outside audiencectl`);
      });
    });
  });
});
