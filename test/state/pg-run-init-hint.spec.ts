import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

/**
 * Review 33, L-3. docs/state.md ("Schema and migrations"): STATE_NOT_INITIALISED names the
 * init to run; "for a URL from AUDIENCECTL_STATE or the configuration file's state:, only the
 * flags typed, `audiencectl init` or `audiencectl init --config <file>`, which inherits it,
 * password and all". `apply` and `state list` did; `run` (the controller, where the URL comes
 * from a Secret as AUDIENCECTL_STATE) gave `init --state '<url>' --state-password-file
 * PASSWORD_FILE` instead: a file the deployment does not have, for a password it already gives.
 */
const pg = usePostgres();

async function manifestsDir(tmp: string): Promise<string> {
  const dir = path.join(tmp, 'audiences');
  await mkdir(dir);
  await writeFile(path.join(dir, 'README.md'), 'no manifests yet\n');
  return dir;
}

describe('audiencectl run on a PostgreSQL schema init never made', () => {
  it('gives the init command the docs give for a URL from AUDIENCECTL_STATE', async () => {
    await withTempDir(async (tmp) => {
      const dir = await manifestsDir(tmp);
      const state = await pg.freshLocation({ init: false });
      const env = { AUDIENCECTL_STATE: state, AUDIENCECTL_LISTEN: '127.0.0.1:0' };
      const apply = await runCli(['apply', dir, '--auto-approve', '--emulator'], { env });
      expect(apply.stderr).toMatch(/create them with `audiencectl init( --emulator)?`\n/);
      const run = await runCli(['run', '--dir', dir, '--emulator'], { env, stopOn: /controller started/ });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/create them with `audiencectl init( --emulator)?`\n/);
      expect(run.stderr).not.toContain('PASSWORD_FILE');
    });
  });

  it("gives `init --config <file>` for the configuration file's state:", async () => {
    await withTempDir(async (tmp) => {
      const dir = await manifestsDir(tmp);
      const state = await pg.freshLocation({ init: false });
      await writeFile(path.join(tmp, 'cfg.yaml'), `state: "${state}"\n`);
      const run = await runCli(['run', '--dir', dir, '--emulator', '--config', 'cfg.yaml'], {
        cwd: tmp,
        env: { AUDIENCECTL_LISTEN: '127.0.0.1:0' },
        stopOn: /controller started/,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/create them with `audiencectl init --config cfg\.yaml --emulator`\n$/);
      expect(run.stderr).not.toContain('PASSWORD_FILE');
      expect(run.stderr).not.toContain(new URL(state).password);
    });
  });
});
