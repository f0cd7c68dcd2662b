import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { listRecordIds } from '../../src/state/read.js';

// The state commands that take a sandbox for a key (show, forget, settle-run) resolve it as
// the commands that read manifests place one that names none (docs/configuration.md):
// `--sandbox`, then the configuration file's `defaultSandbox`, then AEP_SANDBOX, then `prod`
// (show: then the only sandbox recording the key). They read `--sandbox`/AEP_SANDBOX/prod only.

const NO_RUN = { ingestion: { onCreate: false } } as const;
const DEV_CONFIG = 'defaultSandbox: dev\n';
/** No credentials: the state commands below read only the store (and the file's keys). */
const BARE = {
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AEP_SANDBOX: undefined,
  AUDIENCECTL_CONFIG: undefined,
};

/** A store recording the key `twin` in prod and in dev (two manifests that name their sandbox). */
async function twinStore(
  fn: (dir: string, state: string, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  await withEmulator({}, async (emulator) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'm/prod.yaml': manifestYaml('twin', { ...NO_RUN, metadata: { sandbox: 'prod' } }),
        'm/dev.yaml': manifestYaml('twin', { ...NO_RUN, metadata: { sandbox: 'dev' } }),
        'cfg.yaml': DEV_CONFIG,
      });
      const state = path.join(dir, 's');
      const env = emulatorEnv(emulator);
      const applied = await apply(path.join(dir, 'm'), state, env);
      expect(applied.code, applied.stderr).toBe(0);
      expect(await listRecordIds(state)).toEqual([
        ['dev', 'twin'],
        ['prod', 'twin'],
      ]);
      await fn(dir, state, env);
    });
  });
}

describe('defaultSandbox of the configuration file, for the state commands', () => {
  it('state show and forget take the sandbox of the key from the file, over AEP_SANDBOX', async () => {
    await twinStore(async (dir, state) => {
      const cli = (env: Record<string, string | undefined>, ...args: string[]) =>
        runCli(['state', ...args, '--state', state], { cwd: dir, env: { ...BARE, ...env } });

      const shown = await cli({}, 'show', 'twin', '--config', 'cfg.yaml');
      expect(shown.code, shown.stderr).toBe(0);
      expect((JSON.parse(shown.stdout) as { sandbox: string }).sandbox).toBe('dev');
      const byEnv = await cli({ AUDIENCECTL_CONFIG: 'cfg.yaml', AEP_SANDBOX: 'prod' }, 'show', 'twin');
      expect((JSON.parse(byEnv.stdout) as { sandbox: string }).sandbox).toBe('dev');
      // --sandbox wins over the file.
      const flag = await cli({}, 'show', 'twin', '--config', 'cfg.yaml', '--sandbox', 'prod');
      expect((JSON.parse(flag.stdout) as { sandbox: string }).sandbox).toBe('prod');

      const forgot = await cli({}, 'forget', 'twin', '--config', 'cfg.yaml');
      expect(forgot.code, forgot.stderr).toBe(0);
      expect(forgot.stdout).toContain('Forgot dev/twin');
      expect(await listRecordIds(state)).toEqual([['prod', 'twin']]);
    });
  });

  it('state settle-run looks for the record in the sandbox of the file', async () => {
    await twinStore(async (dir, state, env) => {
      // prod's twin forgotten is the premise: the CLI's entry in this process (cli-in-process.ts).
      await runCliInProcess(['state', 'forget', 'twin', '--sandbox', 'prod', '--state', state], {
        cwd: dir,
        env: BARE,
      });
      expect(await listRecordIds(state)).toEqual([['dev', 'twin']]);
      const settled = await runCli(
        ['state', 'settle-run', 'twin', '--no-run', '--config', 'cfg.yaml', '--state', state],
        { cwd: dir, env },
      );
      // dev/twin has no run intent: refused as such, not as a key missing from prod.
      expect(settled.stderr).toContain('dev/twin');
      expect(settled.stderr).not.toContain('prod');
      expect(settled.code).toBe(1);
    });
  });

  it('state import --discover looks in the sandbox of the file, as AEP_SANDBOX has it look in its own', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'm/a.yaml': manifestYaml('ds-a', NO_RUN),
          'm/b.yaml': manifestYaml('ds-b', { ...NO_RUN, metadata: { sandbox: 'prod' } }),
          'cfg.yaml': DEV_CONFIG,
        });
        const a = await emulator.createAudience(manifestObject('ds-a').spec, { sandbox: 'dev' });
        await emulator.createAudience(manifestObject('ds-b').spec, { sandbox: 'prod' });
        const state = path.join(dir, 's');
        await mkdir(state);
        const discovered = await runCli(
          ['state', 'import', '--discover', 'm', '--config', 'cfg.yaml', '--state', state],
          { cwd: dir, env: emulatorEnv(emulator) },
        );
        expect(discovered.code, discovered.stderr).toBe(0);
        expect(discovered.stdout).toMatch(new RegExp(`^dev/ds-a\\s+matched\\s+${a}`, 'm'));
        expect(discovered.stdout).toContain(
          `Not looked at (this discover looks in sandbox "dev" only, from --sandbox, the configuration file's defaultSandbox or AEP_SANDBOX): 1 manifest of sandbox "prod" without a record: audiencectl state import --discover m --sandbox prod --state ${state} --config cfg.yaml.`,
        );
        expect(await listRecordIds(state)).toEqual([['dev', 'ds-a']]);
      });
    });
  });
});
