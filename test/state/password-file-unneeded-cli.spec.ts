import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

// Review cli-40, gap 1: `--state-password-file` (or AUDIENCECTL_STATE_PASSWORD_FILE) naming a
// file that does not exist was read only when the server asked for a password and the URL
// gave none: with the password in the URL (or a server that trusts the client) a typo in
// the path passed every command, and surfaced months later, when the URL lost its password
// or the server began asking. A file given is a file the user means to be read.
const postgres = usePostgres();

describe('--state-password-file naming a missing file, with a store that needs no password from it', () => {
  it('is refused in one line, the URL password and the path not shown (flag and variable)', async () => {
    const location = await postgres.freshLocation();
    const password = decodeURIComponent(new URL(location).password);
    await withTempDir(async (dir) => {
      const missing = path.join(dir, 'secrets', 'pg-pasword');
      const env = { PGPASSWORD: undefined, PGPASSFILE: path.join(dir, 'no-pgpass') };
      const byFlag = await runCli(['state', 'list', '--state', location, '--state-password-file', missing], {
        cwd: dir,
        env,
      });
      const byVariable = await runCli(['state', 'list', '--state', location], {
        cwd: dir,
        env: { ...env, AUDIENCECTL_STATE_PASSWORD_FILE: missing },
      });
      for (const [result, setting] of [
        [byFlag, '--state-password-file'],
        [byVariable, 'AUDIENCECTL_STATE_PASSWORD_FILE'],
      ] as const) {
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        // The path itself is not repeated: a password pasted in its place would be printed
        // (secrets-cli); where a relative path starts is said instead.
        expect(result.stderr).toBe(
          `Error: ${setting}: cannot read the state password file: it does not exist (relative paths start at ${dir}; the path is not shown, in case it is the secret itself)\n`,
        );
        expect(result.stderr).not.toContain(missing);
        expect(result.stderr.split('\n')).toHaveLength(2);
        expect(result.stderr).not.toContain(password);
      }
    });
  });
});
