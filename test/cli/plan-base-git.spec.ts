import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// `plan --base` reads one tree from git. Whatever git answers, the user gets one line
// naming --base: never "Internal error", never a plan made from a tree git could not read.

const execFileAsync = promisify(execFile);

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  return stdout.trim();
}

/** Two commits on main, the manifests in `aud`. */
async function repo(dir: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold') });
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'one');
  await writeFiles(dir, { 'aud/silver.yaml': manifestYaml('silver') });
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'two');
}

/** Removes a loose object from the repository, as a broken clone or a bad gc leaves it. */
async function dropObject(dir: string, object: string): Promise<void> {
  await rm(path.join(dir, '.git', 'objects', object.slice(0, 2), object.slice(2)));
}

describe('plan --base given something other than one revision', () => {
  it('refuses a range or an exclusion in one line naming --base', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      for (const ref of ['main..HEAD', 'HEAD~1...main', '^HEAD', 'HEAD^@']) {
        const result = await runCliInProcess(['plan', 'aud', '--base', ref], { cwd: dir, env: GIT_ENV });
        expect([ref, result.code, result.stdout, result.stderr]).toEqual([
          ref,
          1,
          '',
          `Error: --base: "${ref}" is not a single revision: give a commit, branch or tag\n`,
        ]);
      }
      // One revision, however it is spelled, is still a base.
      const single = await runCliInProcess(['plan', 'aud', '--base', 'HEAD~1'], { cwd: dir, env: GIT_ENV });
      expect([single.code, single.stderr]).toEqual([0, '']);
      expect(single.stdout).toMatch(/\+ prod\/silver create/);
    });
  });
});

describe('plan --base in a repository git cannot read', () => {
  it('names --base when the base tree is missing', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      await dropObject(dir, await git(dir, 'rev-parse', 'HEAD:aud'));
      const result = await runCliInProcess(['plan', 'aud', '--base', 'HEAD'], { cwd: dir, env: GIT_ENV });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^Error: --base: cannot list the files of "HEAD" \(git ls-tree: [^\n]+\)\n$/,
      );
    });
  });

  it('names --base when a manifest of the base is missing, rather than planning without it', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const blob = await git(dir, 'rev-parse', 'HEAD:aud/gold.yaml');
      await dropObject(dir, blob);
      // Changed in the working tree: the base's copy must be read from git.
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold', { spec: { description: 'edited' } }) });
      const result = await runCliInProcess(['plan', 'aud', '--base', 'HEAD'], { cwd: dir, env: GIT_ENV });
      expect([result.code, result.stdout, result.stderr]).toEqual([
        1,
        '',
        `Error: --base: cannot read the files of "HEAD" (git cat-file: object ${blob} is missing)\n`,
      ]);
    });
  });
});
