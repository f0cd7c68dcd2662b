import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';

const files = (keys: readonly string[]) =>
  Object.fromEntries(
    keys.map((key) => [`${key}.yaml`, manifestYaml(key, { ingestion: { onCreate: true } })]),
  );

/** Item 4 of issue 12: lost state rebuilt by `state import --discover`. */
describe('state import --discover', () => {
  it('after the state directory is lost, rebuilds the records so that plan creates nothing', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await applyInProcess(emulator, state, files(['gold', 'silver']));
        const before = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId]));
        for (const [file, text] of Object.entries(files(['gold', 'silver', 'bronze', 'copper'])))
          await writeFile(path.join(dir, file), text);
        // Two audiences of copper's name, made outside audiencectl (only the admin endpoint can).
        const copper = [1, 2].map((n) =>
          emulator.control.uiCreateAudience(
            emulator.client.orgId,
            'prod',
            audienceBody({ name: 'Audience copper' }),
            `colleague-${n}@AdobeID`,
            { duplicateName: true },
          ),
        );
        await rm(state, { recursive: true, force: true });
        await mkdir(state);
        const env = emulatorEnv(emulator);

        const dry = await runCliInProcess(
          ['state', 'import', '--discover', dir, '--state', state, '--dry-run'],
          {
            env,
          },
        );
        expect(dry.code).toBe(0);
        expect(dry.stdout).toMatch(new RegExp(`prod/gold\\s+matched\\s+${before.get('gold')}`));
        expect(dry.stdout).toMatch(/prod\/bronze\s+missing\s+-\s+no audience of that name/);
        const ambiguous = dry.stdout.split('\n').find((line) => line.startsWith('prod/copper '));
        expect(ambiguous).toMatch(/^prod\/copper\s+ambiguous\s+-\s+/);
        for (const audience of copper) expect(ambiguous).toContain(`${audience.id} (created `);
        expect(ambiguous).toContain('by colleague-1@AdobeID');
        expect(ambiguous).toContain('by colleague-2@AdobeID');
        expect(dry.stdout).toContain(
          '2 matched and would be recorded (--dry-run: nothing written), 1 missing (the next apply creates them), 1 ambiguous (import each with --audience-id).\n' +
            "Matched by name only: their fields, sourceSpec and tags are not compared (the Audiences API does not show them) and must be the manifests'; where an audience's fields differ, AEP refuses the first apply's PATCH and its update is blocked until the manifest changes.\n",
        );
        expect((await readState(state)).audiences).toEqual([]);

        const discovered = await runCliInProcess(['state', 'import', '--discover', dir, '--state', state], {
          env,
        });
        expect(discovered.code).toBe(0);
        const after = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId]));
        // Nothing recorded for the ambiguous key (nor for the missing one).
        expect(after).toEqual(before);

        const planned = await runCliInProcess(['plan', dir, '--state', state], { env });
        expect(planned.stdout).toContain('+ prod/bronze create: new manifest');
        expect(planned.stdout).not.toContain('prod/gold create');
        expect(planned.stdout).not.toContain('prod/silver create');
        expect(planned.stdout).toContain('~ prod/gold update: imported audience');
        // The first run counts as done for what was discovered.
        expect(planned.stdout).not.toMatch(/prod\/(gold|silver) run/);

        const bad = await runCliInProcess(['state', 'import', 'gold', '--state', state], { env });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toBe('Error: state import needs <key> and --audience-id <id>, or --discover\n');
      });
    });
  });

  it('takes its credentials from the file AUDIENCECTL_CONFIG names, as apply does (README, Configuration)', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
        const made = emulator.control.uiCreateAudience(
          emulator.client.orgId,
          'prod',
          audienceBody({ name: 'Audience gold' }),
          'colleague@AdobeID',
        );
        const config = path.join(tmp, 'audiencectl.yaml');
        await writeFile(
          config,
          [
            `baseUrl: ${emulator.apiBaseUrl}`,
            `imsUrl: ${emulator.imsUrl}`,
            'credentials:',
            `  clientId: ${emulator.client.clientId}`,
            '  clientSecretEnv: DEMO_SECRET',
            `  orgId: ${emulator.client.orgId}`,
            '',
          ].join('\n'),
        );
        const env = {
          AUDIENCECTL_CONFIG: config,
          DEMO_SECRET: emulator.client.clientSecret,
          AEP_BASE_URL: undefined,
          AEP_IMS_URL: undefined,
          AEP_CLIENT_ID: undefined,
          AEP_CLIENT_SECRET: undefined,
          AEP_ORG_ID: undefined,
        };
        const dry = await runCliInProcess(
          ['state', 'import', '--discover', dir, '--state', state, '--dry-run'],
          {
            env,
          },
        );
        expect(dry.stderr).toBe('');
        expect(dry.code).toBe(0);
        expect(dry.stdout).toMatch(new RegExp(`prod/gold\\s+matched\\s+${made.id}`));
      });
    });
  });
});
