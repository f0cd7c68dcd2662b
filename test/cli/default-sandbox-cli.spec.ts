import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv, ensureDirStore, remoteByName } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { listRecordIds } from '../../src/state/read.js';

// The configuration file's `defaultSandbox` is the sandbox of manifests that name none
// (docs/configuration.md): after `--sandbox`, before AEP_SANDBOX (the file wins, the
// environment fills in what it leaves out), else `prod`. For every command that reads
// manifests, with or without credentials.

const NO_RUN = { ingestion: { onCreate: false } } as const;
const DEV_CONFIG = 'defaultSandbox: dev\nsandboxes:\n  dev: {}\n';
/** No AEP credentials, no sandbox: what a plan without --refresh and validate get. */
const BARE = {
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AEP_SANDBOX: undefined,
  AUDIENCECTL_CONFIG: undefined,
};

/** The `+ sandbox/key create` lines of a text plan. */
function creates(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}\+ (\S+) create/gm)].map((match) => match[1]!);
}

describe('defaultSandbox of the configuration file', () => {
  it('places manifests without metadata.sandbox in plan and validate, without credentials', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'm/x.yaml': manifestYaml('ds-test', NO_RUN),
        'cfg.yaml': DEV_CONFIG,
        'plain.yaml': 'retry:\n  limit: 2\n',
      });
      const plan = (env: Record<string, string | undefined>, ...args: string[]) =>
        runCliInProcess(['plan', 'm', '--state', 's', ...args], { cwd: dir, env: { ...BARE, ...env } });

      const byFlag = await plan({}, '--config', 'cfg.yaml');
      expect(byFlag.code, byFlag.stderr).toBe(0);
      expect(creates(byFlag.stdout)).toEqual(['dev/ds-test']);

      const byEnv = await plan({ AUDIENCECTL_CONFIG: 'cfg.yaml' });
      expect(creates(byEnv.stdout)).toEqual(['dev/ds-test']);

      const json = await plan({}, '--config', 'cfg.yaml', '--output', 'json');
      const saved = JSON.parse(json.stdout) as { origin: { sandbox: string } };
      expect(saved.origin.sandbox).toBe('dev');

      // --sandbox wins over the file; the file wins over AEP_SANDBOX, which fills in what it leaves out.
      const flag = await plan({}, '--config', 'cfg.yaml', '--sandbox', 'qa');
      expect(creates(flag.stdout)).toEqual(['qa/ds-test']);
      const envAndFile = await plan({ AEP_SANDBOX: 'qa' }, '--config', 'cfg.yaml');
      expect(creates(envAndFile.stdout)).toEqual(['dev/ds-test']);
      const envOnly = await plan({ AEP_SANDBOX: 'qa' }, '--config', 'plain.yaml');
      expect(creates(envOnly.stdout)).toEqual(['qa/ds-test']);
      const none = await plan({}, '--config', 'plain.yaml');
      expect(creates(none.stdout)).toEqual(['prod/ds-test']);

      // validate: a second manifest of the key in dev is a duplicate only when dev is the default.
      await writeFiles(dir, { 'm/y.yaml': manifestYaml('ds-test', { metadata: { sandbox: 'dev' } }) });
      const devDefault = await runCliInProcess(['validate', 'm', '--config', 'cfg.yaml'], {
        cwd: dir,
        env: BARE,
      });
      expect(devDefault.code).toBe(1);
      expect(devDefault.stdout).toContain(
        'm/x.yaml:1:1: error: metadata.name "ds-test" is defined more than once in sandbox "dev": m/x.yaml:1 and m/y.yaml:1 [manifest/duplicate-name]',
      );
      const devByEnv = await runCliInProcess(['validate', 'm'], {
        cwd: dir,
        env: { ...BARE, AUDIENCECTL_CONFIG: 'cfg.yaml' },
      });
      expect(devByEnv.code).toBe(1);
      const prodDefault = await runCliInProcess(['validate', 'm'], { cwd: dir, env: BARE });
      expect(prodDefault.code, prodDefault.stdout).toBe(0);
    });
  });

  it('apply (the built CLI) creates a manifest without metadata.sandbox in the default of the file', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/x.yaml': manifestYaml('ds-test', NO_RUN), 'cfg.yaml': DEV_CONFIG });
        const state = path.join(dir, 's');
        await ensureDirStore(state);
        const result = await runCli(
          ['apply', 'm', '--state', state, '--config', 'cfg.yaml', '--auto-approve'],
          { cwd: dir, env: emulatorEnv(emulator) },
        );
        expect(result.code, result.stderr).toBe(0);
        expect(creates(result.stdout)).toEqual(['dev/ds-test']);
        expect([...remoteByName(emulator, 'dev').keys()]).toEqual(['Audience ds-test']);
        expect(remoteByName(emulator, 'prod').size).toBe(0);
        expect(await listRecordIds(state)).toEqual([['dev', 'ds-test']]);
      });
    });
  });

  // Review 27b L2: apply --emulator once took the file's defaultSandbox while its demo client
  // has prod only. It then read no configuration file, silently; since cli2-40 a file of AEP
  // settings beside --emulator is refused, naming both (test/cli/emulator-with-config-file.spec.ts).
  it('apply --emulator beside a file setting defaultSandbox is refused in one line: nothing made, in prod or dev (review 27b, L2)', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/x.yaml': manifestYaml('ds-test', NO_RUN), 'cfg.yaml': DEV_CONFIG });
      const state = path.join(dir, 's');
      await ensureDirStore(state);
      const result = await runCliInProcess(
        ['apply', 'm', '--emulator', '--state', state, '--config', 'cfg.yaml', '--auto-approve'],
        { cwd: dir, env: BARE },
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /^Error: --emulator .*defaultSandbox.* of --config cfg\.yaml: give one of the two/,
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(creates(result.stdout)).toEqual([]);
      expect(await listRecordIds(state)).toEqual([]);
    });
  });

  it('a store applied to prod, planned with defaultSandbox dev, is a blocked move: no delete, no create', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/x.yaml': manifestYaml('ds-test', NO_RUN), 'cfg.yaml': DEV_CONFIG });
        const state = path.join(dir, 's');
        const env = emulatorEnv(emulator);
        // What the bug did: the file's default ignored, the audience made in prod.
        const before = await apply(path.join(dir, 'm'), state, env);
        expect(before.code, before.stderr).toBe(0);
        expect(await listRecordIds(state)).toEqual([['prod', 'ds-test']]);

        const config = path.join(dir, 'cfg.yaml');
        const plan = await runCliInProcess(
          ['plan', path.join(dir, 'm'), '--state', state, '--config', config],
          {
            env,
          },
        );
        expect(plan.stdout).toContain(
          '! prod/ds-test move: its manifest names no sandbox and the default sandbox is now "dev", but the audience is recorded in "prod"',
        );
        expect(plan.stdout).toMatch(/0 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget/);
        expect(plan.stdout).toMatch(/1 blocked/);

        const after = await apply(path.join(dir, 'm'), state, env, '--config', config);
        expect(after.code, 'exit code of a blocked step').toBe(3);
        expect(remoteByName(emulator, 'dev').size).toBe(0);
        expect([...remoteByName(emulator, 'prod').keys()]).toEqual(['Audience ds-test']);
        expect(await listRecordIds(state)).toEqual([['prod', 'ds-test']]);
      });
    });
  });

  it('state import records the key of a manifest without metadata.sandbox in the default of the file', async () => {
    await withEmulator({}, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/x.yaml': manifestYaml('ds-test', NO_RUN), 'cfg.yaml': DEV_CONFIG });
        const id = await emulator.createAudience(manifestObject('ds-test').spec, { sandbox: 'dev' });
        const state = path.join(dir, 's');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const config = path.join(dir, 'cfg.yaml');
        const imported = await runCliInProcess(
          [
            'state',
            'import',
            'ds-test',
            path.join(dir, 'm'),
            '--audience-id',
            id,
            '--state',
            state,
            '--config',
            config,
          ],
          { env },
        );
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stdout).toContain(`Imported dev/ds-test: audience ${id}.`);
        expect(await listRecordIds(state)).toEqual([['dev', 'ds-test']]);
        const plan = await runCliInProcess(
          ['plan', path.join(dir, 'm'), '--state', state, '--config', config],
          {
            env,
          },
        );
        // The imported audience's first plan PATCHes it to the manifest, in dev: no move, no create.
        expect(plan.stdout, plan.stderr).toContain(
          '~ dev/ds-test update: imported audience: PATCH its changeable properties to match the manifest',
        );
        expect(plan.stdout).toContain('0 to create, 1 to update, 0 to replace, 0 to delete');
      });
    });
  });

  it('plan --base places the base and the head in the default of the file, without credentials', async () => {
    await withTempDir(async (dir) => {
      const git = (...args: string[]) =>
        promisify(execFile)('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
      await git('init', '-q', '-b', 'main');
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold', NO_RUN), 'cfg.yaml': DEV_CONFIG });
      await git('add', '.');
      await git('commit', '-q', '-m', 'one');
      await writeFiles(dir, { 'aud/silver.yaml': manifestYaml('silver', NO_RUN) });
      const result = await runCliInProcess(['plan', 'aud', '--base', 'HEAD', '--config', 'cfg.yaml'], {
        cwd: dir,
        env: { ...BARE, ...GIT_ENV },
      });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(creates(result.stdout)).toEqual(['dev/silver']);
    });
  });

  it('the file and AEP_SANDBOX naming two sandboxes: one warning line on stderr, saying which is used', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/x.yaml': manifestYaml('ds-test', NO_RUN), 'cfg.yaml': DEV_CONFIG });
      await mkdir(path.join(dir, 's'));
      const cli = (env: Record<string, string | undefined>, ...args: string[]) =>
        runCli(args, { cwd: dir, env: { ...BARE, ...env } });
      const warning =
        'Warning: the defaultSandbox "dev" of the configuration file cfg.yaml is used, not AEP_SANDBOX "prod" (the file wins over the environment)\n';

      const plan = await cli({ AEP_SANDBOX: 'prod' }, 'plan', 'm', '--state', 's', '--config', 'cfg.yaml');
      expect([plan.code, plan.stderr]).toEqual([0, warning]);
      expect(creates(plan.stdout)).toEqual(['dev/ds-test']);
      const byVariable = await cli({ AEP_SANDBOX: 'prod', AUDIENCECTL_CONFIG: 'cfg.yaml' }, 'validate', 'm');
      expect([byVariable.code, byVariable.stderr]).toEqual([0, warning]);
      const show = await cli(
        { AEP_SANDBOX: 'prod' },
        'state',
        'show',
        'ds-test',
        '--state',
        's',
        '--config',
        'cfg.yaml',
      );
      expect(show.stderr).toBe(`${warning}Error: no record for dev/ds-test in ${path.join(dir, 's')}\n`);

      // Nothing to say: --sandbox typed (neither is used), the same sandbox, or only one of them.
      const typed = await cli(
        { AEP_SANDBOX: 'prod' },
        'plan',
        'm',
        '--state',
        's',
        '--config',
        'cfg.yaml',
        '--sandbox',
        'qa',
      );
      expect([typed.code, typed.stderr]).toEqual([0, '']);
      const same = await cli({ AEP_SANDBOX: 'dev' }, 'plan', 'm', '--state', 's', '--config', 'cfg.yaml');
      expect([same.code, same.stderr]).toEqual([0, '']);
      const fileOnly = await cli({}, 'plan', 'm', '--state', 's', '--config', 'cfg.yaml');
      expect([fileOnly.code, fileOnly.stderr]).toEqual([0, '']);
    });
  });
});
