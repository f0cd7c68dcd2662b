import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
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

describe('an imported or adopted audience whose fields differ from the manifest', () => {
  it('its refused PATCH is a block with the ways out, not sent again until the manifest changes', async () => {
    const root = await tempDir();
    await withEmulator(undefined, async (emulator) => {
      const manifests = path.join(root, 'audiences');
      await mkdir(manifests);
      // The manifests list email and tier; the audiences made in the UI only email.
      const onlyEmail = { fields: [{ name: 'email', type: 'string' as const, identityNs: 'email' }] };
      const made = (name: string) =>
        emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          audienceBody({ name, ...onlyEmail }),
          'colleague@AdobeID',
        ).id;
      const goldId = made('Audience gold');
      const tinId = made('Audience tin');
      await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold', quiet));
      const state = path.join(root, 'state');
      await mkdir(state);
      const env = emulatorEnv(emulator);
      const patches = () => emulator.control.counters().byEndpoint.patchAudience.requests;
      const imported = await runCliInProcess(
        ['state', 'import', 'gold', manifests, '--audience-id', goldId, '--state', state],
        { env },
      );
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain(
        "  - not compared (the Audiences API does not show them): its fields, sourceSpec and tags, which must be the manifest's; where its fields differ, AEP refuses the first apply's PATCH and the update is blocked until the manifest changes\n",
      );

      const wayOut =
        "Set spec.fields in gold.yaml to the audience's fields (names and types) and apply. Only if this audience must not be managed: audiencectl state forget gold --sandbox prod";
      const unmanaged =
        'leaves it in AEP unmanaged (campaigns using it are no longer updated), and a manifest with another spec.name creates a new audience beside it';
      // A 422 that does not name its fields (a passing refusal): a failure, retried by the next apply.
      emulator.control.queueFault({ kind: 'clientError', status: 422, endpoint: 'patchAudience' });
      const passing = await apply(manifests, state, env);
      expect(passing.code).toBe(1);
      expect(passing.stdout).toContain('FAILED   prod/gold update: PATCH failed: ');
      expect(patches()).toBe(1);
      const first = await apply(manifests, state, env);
      expect(first.code).toBe(3);
      expect(first.stdout).toContain(
        "prod/gold update: the audience's fields differ from the manifest's: AEP refused the PATCH of its fields (",
      );
      expect(first.stdout).toContain(wayOut);
      expect(first.stdout).toContain(unmanaged);
      expect(patches()).toBe(2);

      // Planned and applied again unchanged: held, and no PATCH is sent.
      const planned = await runCliInProcess(['plan', manifests, '--state', state, '--detailed-exitcode'], {
        env,
      });
      expect(planned.code).toBe(3);
      expect(planned.stdout).toContain(wayOut);
      const again = await apply(manifests, state, env);
      expect(again.code).toBe(3);
      expect(again.stdout).toContain(wayOut);
      expect(patches()).toBe(2);
      // --refresh sends it again (refused again: still held).
      const refreshed = await apply(manifests, state, env, '--refresh');
      expect(refreshed.code).toBe(3);
      expect(refreshed.stdout).toContain(wayOut);
      expect(patches()).toBe(3);

      // Adopted (--adopt) with the same difference: recorded, and held the same way.
      await writeFile(path.join(manifests, 'tin.yaml'), manifestYaml('tin', quiet));
      const adopted = await apply(manifests, state, env, '--adopt');
      expect(adopted.code).toBe(3);
      expect(adopted.stdout).toContain(
        `prod/tin adopt: adopted ${tinId} (recorded); the audience's fields differ`,
      );
      expect(patches()).toBe(4);

      // The manifests' fields set to the audiences': the PATCHes go through, the holds lift.
      for (const key of ['gold', 'tin']) {
        await writeFile(
          path.join(manifests, `${key}.yaml`),
          manifestYaml(key, { ...quiet, spec: onlyEmail }),
        );
      }
      const fixed = await apply(manifests, state, env);
      expect(fixed.code).toBe(0);
      expect(patches()).toBe(6);
      const store = await openStateStore(state);
      const records = (await store.readAll()).audiences;
      await store.close();
      expect(records.map((r) => [r.key, r.patchRefused])).toEqual([
        ['gold', undefined],
        ['tin', undefined],
      ]);
      const clean = await runCliInProcess(['plan', manifests, '--state', state, '--detailed-exitcode'], {
        env,
      });
      expect(clean.code).toBe(0);
    });
  });
});

describe('a 422 on the PATCH of an audience audiencectl created', () => {
  it('is a failure the next apply retries, never a block for its fields', async () => {
    const root = await tempDir();
    await withEmulator(undefined, async (emulator) => {
      const manifests = path.join(root, 'audiences');
      await mkdir(manifests);
      const file = path.join(manifests, 'label.yaml');
      await writeFile(file, manifestYaml('label', quiet));
      const state = path.join(root, 'state');
      const env = emulatorEnv(emulator);
      expect((await apply(manifests, state, env)).code).toBe(0);
      const patches = () => emulator.control.counters().byEndpoint.patchAudience.requests;

      // A label change of one field; the service refuses that PATCH once (422).
      const labelled = {
        fields: [
          { name: 'email', type: 'string' as const, identityNs: 'email' },
          { name: 'tier', type: 'string' as const, labels: ['core/C2', 'core/C3'] },
        ],
      };
      await writeFile(file, manifestYaml('label', { ...quiet, spec: labelled }));
      emulator.control.queueFault({ kind: 'clientError', status: 422, endpoint: 'patchAudience' });
      const refused = await apply(manifests, state, env);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('FAILED   prod/label update: PATCH failed: ');
      expect(refused.stdout).not.toContain('fields differ');
      expect(patches()).toBe(1);

      const retried = await apply(manifests, state, env);
      expect(retried.code).toBe(0);
      expect(retried.stdout).toContain('ok       prod/label update: patched fields');
      expect(patches()).toBe(2);
      const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(audience?.fields.find((field) => field.name === 'tier')?.labels).toEqual(['core/C2', 'core/C3']);
    });
  });
});
