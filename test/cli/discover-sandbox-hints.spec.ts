import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { paste } from '../helpers/paste.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * review 7, M1: `state import --discover` looks in one sandbox (--sandbox or AEP_SANDBOX), and
 * said "Every manifest already has a record" of manifests of another sandbox that had none; its
 * warning's command lacked `audiencectl` and `--sandbox`. Each printed command is pasted as printed
 * (the directory's name has a space and a `$`) and does what it says, in the store its --state names.
 */
describe('state import --discover names the commands for the sandboxes it did not look at', () => {
  it('another sandbox without records, then the inactive-list warning, followed as printed', async () => {
    await withEmulator({ admin: true, operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'my $aud');
        const state = path.join(tmp, 'state');
        const manifests = { 'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }) };
        await applyInProcess(emulator, state, manifests);
        const id = (await readState(state)).audiences[0]?.audienceId;
        expect(id).toBeDefined();
        // The state is lost; the service will not list inactive audiences.
        await rm(state, { recursive: true, force: true });
        await mkdir(state);
        await writeFiles(dir, manifests);
        emulator.control.updateSettings({ compat: { lifecycleStateFilter: 'refused' } });
        const env = { ...emulatorEnv(emulator), AEP_SANDBOX: 'prod', STATE: state };

        // The commands are printed by the CLI's own entry in this process (the same code and
        // output); pasted, they run in /bin/sh with the built CLI.
        const prod = await runCliInProcess(['state', 'import', '--discover', dir, '--state', state], { env });
        expect(prod.stderr).toBe('');
        expect(prod.code).toBe(0);
        const next = `audiencectl state import --discover '${dir}' --sandbox dev --state ${state}`;
        expect(prod.stdout).toBe(
          'Every manifest of sandbox "prod" already has a record: nothing to discover there.\n' +
            `Not looked at (this discover looks in sandbox "prod" only, from --sandbox, the configuration file's defaultSandbox or AEP_SANDBOX): 1 manifest of sandbox "dev" without a record: ${next}.\n`,
        );
        expect((await readState(state)).audiences).toEqual([]);

        const dev = await paste(next, { env });
        expect(dev.code).toBe(0);
        expect(dev.stdout).toMatch(new RegExp(`dev/gold\\s+matched\\s+${id}`));
        expect(dev.stderr).toMatch(
          /^Warning: the service would not list the inactive audiences of sandbox "dev" \(property=lifecycleState==inactive: [^\n]*\); an audience deactivated in the UI shows as missing: import it with (audiencectl state import KEY [^\n]*)\n$/,
        );
        const printed = /import it with (audiencectl state import KEY .*)\n$/.exec(dev.stderr)?.[1];
        expect(printed).toBe(
          `audiencectl state import KEY '${dir}' --sandbox dev --audience-id AUDIENCE_ID --state ${state}`,
        );

        // Followed as printed, key and id filled in, once the record is dropped.
        const forgot = await runCliInProcess(
          ['state', 'forget', 'gold', '--sandbox', 'dev', '--state', state],
          {
            env,
          },
        );
        expect(forgot.code).toBe(0);
        const imported = await paste(printed!.replace('KEY', 'gold').replace('AUDIENCE_ID', id!), { env });
        expect(imported.stderr).toBe('');
        expect(imported.code).toBe(0);
        expect(imported.stdout).toContain(`Imported dev/gold`);
        expect((await readState(state)).audiences.map((r) => [r.sandbox, r.key, r.audienceId])).toEqual([
          ['dev', 'gold', id],
        ]);
      });
    });
  });
});
