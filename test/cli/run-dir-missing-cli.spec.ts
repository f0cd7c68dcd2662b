import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

// cli-46 (e): `run --dir /missing` said first that the state store was missing (a store that
// was there: the controller started, and logged `sync failed` every interval); `--dir` naming
// a file printed `Internal error: spawn ENOTDIR` with its stack, then never exited, SIGTERM
// included. The directory is checked at start, before the store, naming the setting as given.

describe('run --dir that is no directory', () => {
  it.each([
    [
      'missing, the store missing too',
      'missing',
      false,
      '--dir',
      /^Error: --dir: \S+missing does not exist: give the directory of the manifests\n$/,
    ],
    [
      'missing, the store there',
      'missing',
      true,
      '--dir',
      /^Error: --dir: \S+missing does not exist: give the directory of the manifests\n$/,
    ],
    [
      'a file, the store there',
      'afile',
      true,
      '--dir',
      /^Error: --dir: \S+afile is not a directory: give the directory of the manifests[^\n]*\n$/,
    ],
    [
      'missing, from AUDIENCECTL_DIR',
      'missing',
      true,
      'AUDIENCECTL_DIR',
      /^Error: AUDIENCECTL_DIR: \S+missing does not exist: give the directory of the manifests\n$/,
    ],
  ])(
    '%s: one line naming the setting and the directory, exit 1',
    async (_case, name, store, setting, line) => {
      await withTempDir(async (dir) => {
        await writeFile(path.join(dir, 'afile'), 'a file\n');
        const state = path.join(dir, 'state');
        if (store) await mkdir(state);
        const given = path.join(dir, name);
        const args = ['run', '--emulator', '--state', state, '--listen', '127.0.0.1:0'];
        const result = await runCli(setting === '--dir' ? [...args, '--dir', given] : args, {
          cwd: dir,
          env: setting === '--dir' ? {} : { [setting]: given },
          stopOn: /controller started|Internal error/,
        });
        expect(result.stderr).toMatch(line);
        expect(result.stderr).toContain(given);
        expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      });
    },
  );
});

// The same holes under --dir through --path (or AUDIENCECTL_PATH): `--path afile` printed
// `Internal error: spawn ENOTDIR` with its stack and never exited, SIGTERM included; `--path
// missing` started a controller whose every sync failed (`SOURCE_PATH_NOT_FOUND`).
describe('run --dir with a --path that is no directory', () => {
  it.each([
    ['a file', 'afile', '--path', /^Error: --path: \S+afile is not a directory: [^\n]*\n$/],
    ['missing', 'missing', '--path', /^Error: --path: \S+missing does not exist: [^\n]*\n$/],
    [
      'missing, from AUDIENCECTL_PATH',
      'missing',
      'AUDIENCECTL_PATH',
      /^Error: AUDIENCECTL_PATH: \S+missing does not exist: [^\n]*\n$/,
    ],
  ])('%s: one line naming the setting and the directory, exit 1', async (_case, name, setting, line) => {
    await withTempDir(async (dir) => {
      const manifests = path.join(dir, 'manifests');
      await mkdir(manifests);
      await writeFile(path.join(manifests, 'afile'), 'a file\n');
      const state = path.join(dir, 'state');
      await mkdir(state);
      const args = ['run', '--emulator', '--state', state, '--listen', '127.0.0.1:0', '--dir', manifests];
      const result = await runCli(setting === '--path' ? [...args, '--path', name] : args, {
        cwd: dir,
        env: setting === '--path' ? {} : { [setting]: name },
        stopOn: /controller started|Internal error/,
      });
      expect(result.stderr).toMatch(line);
      expect(result.stderr).toContain(path.join(manifests, name));
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    });
  });
});
