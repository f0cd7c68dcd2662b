import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

const execFileAsync = promisify(execFile);

/** Root reads any folder: the CLI is run as nobody then (CI runs as root), else as this user. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/**
 * `plan --state <a file>` (a typo, or the path of something else) is bad input: one line naming
 * --state, exit 1, as apply and state list give; never "Internal error" with a stack trace.
 */
describe('plan with --state naming a regular file', () => {
  it('is refused in one line naming --state, with or without a path under the file', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'audiences/gold.yaml': manifestYaml('gold') });
      const file = path.join(dir, 'notes.txt');
      await writeFile(file, 'not a store\n');
      for (const [state, env] of [
        ['notes.txt', {}],
        [`notes.txt/state`, {}],
        [undefined, { AUDIENCECTL_STATE: 'notes.txt' }],
      ] as const) {
        const args = ['plan', 'audiences', ...(state === undefined ? [] : ['--state', state])];
        const result = await runCli(args, { cwd: dir, env });
        expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 1, stdout: '' });
        expect(result.stderr).not.toMatch(/Internal error|please report it|\n\s+at /);
        expect(result.stderr).toMatch(/^Error: [^\n]*(--state|AUDIENCECTL_STATE)[^\n]*\n$/);
        expect(result.stderr).toContain(file);
      }
    });
  });

  it('a store directory the user cannot read is one line naming it, as state list says', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'audiences/gold.yaml': manifestYaml('gold') });
      // The store made is the premise: the CLI's entry in this process (cli-in-process.ts).
      expect((await runCliInProcess(['init', '--state', 'state', '--state-only'], { cwd: dir })).code).toBe(
        0,
      );
      await chmod(dir, 0o755);
      if ('uid' in asUser) await execFileAsync('chown', ['-R', `${asUser.uid}:${asUser.gid}`, dir]);
      await chmod(path.join(dir, 'state'), 0o000);
      const result = await runCli(['plan', 'audiences', '--state', 'state'], { cwd: dir, ...asUser });
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      expect(result.stderr).not.toMatch(/Internal error|please report it|\n\s+at /);
      expect(result.stderr).toMatch(/^Error: [^\n]*state[^\n]*permission denied[^\n]*\n$/);
    });
  });
});
