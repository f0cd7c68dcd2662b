import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review cli-40: AUDIENCECTL_CONFIG set but empty (`env: AUDIENCECTL_CONFIG: ${{ vars.CONFIG }}`
// with the repository variable unset; the action itself reads '' as "no file") is read as
// unset by validate, a plan without --refresh and the state commands, as every other empty
// variable is. The commands that connect (init, plan --refresh, apply) read it as a file
// named "" and stopped with "Cannot read the configuration file : it is a directory, not a
// regular file.": naming neither the variable nor what to do, with the AEP_* credentials
// right there.
describe('AUDIENCECTL_CONFIG set but empty, credentials in the AEP_* variables', () => {
  it('is read as unset by init, plan --refresh and apply, as by validate and plan', async () => {
    await withEmulator({ operationDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await mkdir(path.join(dir, 'aud'));
        await writeFile(
          path.join(dir, 'aud', 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: false } }),
        );
        const env = emulatorEnv(emulator, { AUDIENCECTL_CONFIG: '' });
        const steps = [
          ['validate', 'aud'],
          ['init', '--state', 'st'],
          ['plan', 'aud', '--state', 'st', '--refresh'],
          ['apply', 'aud', '--state', 'st', '--auto-approve'],
        ];
        for (const args of steps) {
          const result = await runCli(args, { cwd: dir, env });
          expect(result.stderr, args.join(' ')).not.toContain('configuration file');
          expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
        }
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName)).toEqual([
          'Audience gold',
        ]);
      });
    });
  });
});
