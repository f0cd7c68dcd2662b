import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * An audience made outside audiencectl is imported for its manifest; before any apply, the
 * manifest's `metadata.name` is changed (a typo, or a rename). The record must still know the
 * audience's name, so that the changed key reads as the same audience moved (blocked until a
 * person says which), never as a removed manifest (a DELETE of the live audience) beside a
 * new one (a create the service refuses as a duplicate name).
 */
const quiet = { ingestion: { onCreate: false } };
const tempDir = useTempDirs();

describe('state import, then a changed metadata.name before the first apply', () => {
  it('is a blocked move: the imported audience is not deleted', async () => {
    const root = await tempDir();
    await withEmulator(undefined, async (emulator) => {
      const manifests = path.join(root, 'audiences');
      await mkdir(manifests);
      const file = path.join(manifests, 'copper.yaml');
      await writeFile(file, manifestYaml('copper', quiet));
      const { id } = emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        audienceBody({ name: 'Audience copper' }),
        'colleague@AdobeID',
      );
      const state = path.join(root, 'state');
      await mkdir(state);
      const env = emulatorEnv(emulator);
      const imported = await runCliInProcess(
        ['state', 'import', 'copper', manifests, '--audience-id', id, '--state', state],
        { env },
      );
      expect(imported.code).toBe(0);

      // The key changes; the spec (and so the audience's name) does not.
      await writeFile(
        file,
        manifestYaml('coper', { ...quiet, spec: { name: 'Audience copper', description: 'About copper' } }),
      );
      const planned = await runCliInProcess(['plan', manifests, '--state', state], { env });
      expect(planned.stdout).toContain(
        '! prod/copper move: metadata.name is now "coper" in copper.yaml, but its audience ("Audience copper") is recorded as "copper"',
      );
      expect(planned.stdout).toContain('Plan: 0 to create, 0 to update, 0 to replace, 0 to delete');

      const applied = await apply(manifests, state, env);
      expect(applied.stdout).not.toMatch(/ delete: /);
      expect(applied.code).toBe(3);
      const ids = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceId);
      expect(ids).toEqual([id]);
    });
  });
});
