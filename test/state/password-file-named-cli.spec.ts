import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

// The state password file refused (missing, a directory, empty) named no setting: 'Error: cannot
// read the state password file: it does not exist (…)'. A deployment gives it by
// AUDIENCECTL_STATE_PASSWORD_FILE, a person by --state-password-file: the line now starts with
// whichever gave it, as --dir's, --path's and --repo's refusals do. Nothing listens on port 9:
// the file is checked before any connection.
const STATE = 'postgres://audiencectl@127.0.0.1:9/db';
/** A controller that went on to serve: killed, so that the case fails on what it printed. */
const STARTED = /listening|reconcile started/;

describe('a state password file refused', () => {
  it('is named by the flag or the variable that gave it', async () => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'audiences'));
      await mkdir(path.join(dir, 'folder'));
      await writeFile(path.join(dir, 'empty'), '');
      const env = { PGPASSWORD: undefined, PGPASSFILE: path.join(dir, 'no-pgpass') };
      const missing = `cannot read the state password file: it does not exist (relative paths start at ${dir}; the path is not shown, in case it is the secret itself)`;
      const folder = `cannot read the state password file folder: it is a directory, not a regular file`;
      const empty = `the state password file empty is empty: write the database password in it`;
      const cases = [
        { file: 'missing', why: missing },
        { file: 'folder', why: folder },
        { file: 'empty', why: empty },
      ];
      for (const { file, why } of cases) {
        for (const command of [
          ['plan', 'audiences'],
          ['state', 'list'],
          // The controller, whose chart gives the file by the variable.
          ['run', '--dir', 'audiences', '--emulator', '--listen', '127.0.0.1:0'],
        ]) {
          const byFlag = await runCli([...command, '--state', STATE, '--state-password-file', file], {
            cwd: dir,
            env,
            stopOn: STARTED,
          });
          expect([byFlag.code, byFlag.stdout, byFlag.stderr]).toEqual([
            1,
            '',
            `Error: --state-password-file: ${why}\n`,
          ]);
          const byVariable = await runCli([...command, '--state', STATE], {
            cwd: dir,
            env: { ...env, AUDIENCECTL_STATE_PASSWORD_FILE: file },
            stopOn: STARTED,
          });
          expect([byVariable.code, byVariable.stdout, byVariable.stderr]).toEqual([
            1,
            '',
            `Error: AUDIENCECTL_STATE_PASSWORD_FILE: ${why}\n`,
          ]);
        }
      }
    });
  });
});
