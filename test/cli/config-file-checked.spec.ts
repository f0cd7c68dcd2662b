import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * A command that reads the configuration file only in part (plan without --refresh, the
 * state commands) refuses an invalid one as apply does: a pull request's plan job stayed
 * green on a file the deployment's apply then refused.
 */
const NO_CREDENTIALS = { AEP_CLIENT_ID: undefined, AEP_CLIENT_SECRET: undefined, AEP_ORG_ID: undefined };

async function repo(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'aud'));
  await writeFile(path.join(dir, 'aud', 'gold.yaml'), manifestYaml('gold'));
  await mkdir(path.join(dir, 'st'));
  await writeFile(path.join(dir, 'bad.yaml'), 'timeouts: { responseMs: -5 }\nbogus: 1\n');
}

const INVALID = [
  'Error: Invalid AEP configuration (from bad.yaml and the environment):',
  '  bad.yaml:1:25 timeouts.responseMs: must be a whole number of ms > 0, or a duration such as 30s',
  '  bad.yaml:2:1 (top level): unknown key "bogus"',
  '',
].join('\n');

describe('an invalid configuration file is refused by every command given it', () => {
  it.each([
    [['apply', 'aud', '--state', 'st', '--config', 'bad.yaml', '--auto-approve']],
    [['plan', 'aud', '--state', 'st', '--config', 'bad.yaml']],
    [['plan', 'aud', '--config', 'bad.yaml']],
    [['state', 'list', '--state', 'st', '--config', 'bad.yaml']],
    [['state', 'show', 'gold', '--state', 'st', '--config', 'bad.yaml']],
  ])('%j: the same message, exit 1, with no credentials anywhere', async (args) => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const result = await runCliInProcess(args, { cwd: dir, env: NO_CREDENTIALS });
      expect(result).toEqual({ code: 1, stdout: '', stderr: INVALID });
    });
  });

  it('AUDIENCECTL_CONFIG names it as --config does; a file that cannot be read is refused too', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const plan = ['plan', 'aud', '--state', 'st'];
      const fromEnv = await runCliInProcess(plan, {
        cwd: dir,
        env: { ...NO_CREDENTIALS, AUDIENCECTL_CONFIG: 'bad.yaml' },
      });
      expect(fromEnv).toEqual({ code: 1, stdout: '', stderr: INVALID });
      const missing = await runCliInProcess([...plan, '--config', 'nope.yaml'], {
        cwd: dir,
        env: NO_CREDENTIALS,
      });
      expect(missing).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error: Cannot read the configuration file nope.yaml (ENOENT).\n',
      });
    });
  });

  it('a valid file without credentials still plans: a secret variable it names being unset is no file error', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      await writeFile(
        path.join(dir, 'good.yaml'),
        'credentials: { clientId: c, orgId: O@AdobeOrg, clientSecretEnv: NOT_SET_IN_THIS_TEST }\n',
      );
      const result = await runCliInProcess(['plan', 'aud', '--state', 'st', '--config', 'good.yaml'], {
        cwd: dir,
        env: NO_CREDENTIALS,
      });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('gold');
    });
  });

  it("the no-store warning names the configuration's state: when the location came from it", async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      await writeFile(path.join(dir, 'with-state.yaml'), 'state: nx\n');
      const result = await runCliInProcess(['plan', 'aud', '--config', 'with-state.yaml'], {
        cwd: dir,
        env: { ...NO_CREDENTIALS, AUDIENCECTL_STATE: undefined, AUDIENCECTL_STATE_DIR: undefined },
      });
      const store = path.join(dir, 'nx');
      expect(result.code).toBe(0);
      expect(result.stderr.split('\n').slice(0, 3)).toEqual([
        `WARNING: no state store at ${store} (state: in with-state.yaml).`,
        'WARNING: planning as if nothing was ever applied: every manifest shows as a create.',
        `WARNING: if this is a typo, fix state: in with-state.yaml; to start a new store, run \`audiencectl init --state ${store} --config with-state.yaml\`.`,
      ]);
    });
  });

  it.each([
    [['apply', 'aud', '--config', 'with-state.yaml', '--auto-approve']],
    [['state', 'import', '--discover', 'aud', '--config', 'with-state.yaml']],
    [
      [
        'state',
        'import',
        'gold',
        'aud',
        '--audience-id',
        '60ccea95-1435-4180-97a5-58af4aa285ab',
        '--config',
        'with-state.yaml',
      ],
    ],
  ])(
    "%j: the no-store error names the configuration's state: when the location came from it, as plan's warning does",
    async (args) => {
      await withTempDir(async (dir) => {
        await repo(dir);
        await writeFile(path.join(dir, 'with-state.yaml'), 'state: nx\n');
        // Credentials that are never used: the store is looked for before anything is asked of AEP.
        const result = await runCli(args, {
          cwd: dir,
          env: {
            AEP_CLIENT_ID: 'unused-client',
            AEP_CLIENT_SECRET: 'unused-secret',
            AEP_ORG_ID: 'UNUSED@AdobeOrg',
            AEP_BASE_URL: 'http://127.0.0.1:9/ais',
            AEP_IMS_URL: 'http://127.0.0.1:9/ims',
            AUDIENCECTL_STATE: undefined,
            AUDIENCECTL_STATE_DIR: undefined,
          },
        });
        const store = path.join(dir, 'nx');
        expect(result).toEqual({
          code: 1,
          stdout: '',
          stderr: `Error: no state store at ${store} (state: in with-state.yaml): if it is new, create it with \`audiencectl init --state ${store} --config with-state.yaml\`; otherwise fix state: in with-state.yaml\n`,
        });
      });
    },
  );

  it.each([[['validate', 'aud']], [['plan', 'aud', '--state', 'st']], [['state', 'list', '--state', 'st']]])(
    '%j with an AUDIENCECTL_CONFIG it may not read: one line naming the file, exit 1, as every command',
    async (args) => {
      await withTempDir(async (dir) => {
        await repo(dir);
        await writeFile(path.join(dir, 'locked.yaml'), 'defaultSandbox: dev\n');
        await chmod(path.join(dir, 'locked.yaml'), 0o000);
        await chmod(dir, 0o755);
        // Root reads any file: the command runs as nobody then (CI runs as root).
        const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
        const result = await runCli(args, {
          cwd: dir,
          env: { ...NO_CREDENTIALS, AUDIENCECTL_CONFIG: 'locked.yaml' },
          ...as,
        });
        expect(result).toEqual({
          code: 1,
          stdout: '',
          stderr: 'Error: Cannot read the configuration file locked.yaml (EACCES).\n',
        });
      });
    },
  );
});
