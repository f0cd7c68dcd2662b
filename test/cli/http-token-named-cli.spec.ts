import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

// cli-46 (f): an empty AUDIENCECTL_HTTP_TOKEN (a Secret's key left blank) was refused as
// `the HTTP token must be at least 16 characters…`, naming no setting: a deployment sets
// several. The line now starts with the setting as given: the variable, the flag or the file's.

describe('run with an HTTP token too short', () => {
  it.each([
    ['AUDIENCECTL_HTTP_TOKEN empty', { AUDIENCECTL_HTTP_TOKEN: '' }, [], 'AUDIENCECTL_HTTP_TOKEN'],
    ['--http-token blank', {}, ['--http-token', '  '], '--http-token'],
    ['--http-token-file short', {}, ['--http-token-file', 'token'], '--http-token-file'],
  ])('%s: one line naming the setting, exit 1', async (_case, env, flags, name) => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'manifests'));
      await writeFile(path.join(dir, 'token'), 'short\n');
      const args = ['run', '--emulator', '--dir', 'manifests', '--state', 'state', '--listen', '127.0.0.1:0'];
      const result = await runCli([...args, ...flags], { cwd: dir, env, stopOn: /controller started/ });
      expect(result.stderr).toBe(
        `Error: ${name}: the HTTP token must be at least 16 characters without blanks (try: openssl rand -hex 32)\n`,
      );
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    });
  });
});
