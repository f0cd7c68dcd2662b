import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * Review 32, L-3. docs/controller.md: a bad setting "names its flag or variable". In a Helm
 * deployment only the variable exists, so a value read from one is refused naming it, never the
 * flag the user did not type (`--http-token-file`) or nothing (`--path`). The built CLI, spawned.
 */
describe('run: a bad setting given by its environment variable', () => {
  async function inDir(env: Record<string, string>, args: string[] = []) {
    return withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'aud'));
      await writeFile(path.join(dir, 'aud/gold.yaml'), manifestYaml('gold'));
      return runCli(
        ['run', '--dir', 'aud', '--emulator', '--state', 'st', '--listen', '127.0.0.1:0', ...args],
        {
          cwd: dir,
          env,
          stopOn: /listening|serving|reconcil/i,
        },
      );
    });
  }

  it('AUDIENCECTL_HTTP_TOKEN_FILE that cannot be read names the variable', async () => {
    const result = await inDir({ AUDIENCECTL_HTTP_TOKEN_FILE: '/nonexistent' });
    expect(result.stderr).toBe('Error: AUDIENCECTL_HTTP_TOKEN_FILE: cannot read the path given (ENOENT)\n');
    expect(result.code).toBe(1);
  });

  it('--http-token-file typed still names the flag', async () => {
    const result = await inDir({}, ['--http-token-file', '/nonexistent']);
    expect(result.stderr).toBe('Error: --http-token-file: cannot read the path given (ENOENT)\n');
    expect(result.code).toBe(1);
  });

  it('AUDIENCECTL_PATH outside the directory names the variable', async () => {
    const result = await inDir({ AUDIENCECTL_PATH: '../x' });
    expect(result.stderr).toBe(
      'Error: AUDIENCECTL_PATH: path "../x" must be relative to the directory and stay inside it\n',
    );
    expect(result.code).toBe(1);
  });

  it('--path typed outside the directory names the flag', async () => {
    const result = await inDir({}, ['--path', '../x']);
    expect(result.stderr).toBe(
      'Error: --path: path "../x" must be relative to the directory and stay inside it\n',
    );
    expect(result.code).toBe(1);
  });
});
