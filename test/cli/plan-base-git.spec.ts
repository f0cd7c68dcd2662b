import { execFile } from 'node:child_process';
import { rm, symlink } from 'node:fs/promises';
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

describe('plan --base with a manifest reached through a link inside the directory', () => {
  it('plans no change when nothing changed, and the delete when the pull request removes it', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, {
        'aud/silver.yaml': manifestYaml('silver'),
        'aud/.shared/gold.yaml': manifestYaml('gold'),
      });
      await symlink('.shared/gold.yaml', path.join(dir, 'aud/gold.yaml'));
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '-m', 'base');
      const unchanged = await runCliInProcess(['plan', 'aud', '--base', 'main'], { cwd: dir, env: GIT_ENV });
      expect([unchanged.code, unchanged.stderr]).toEqual([0, '']);
      expect(unchanged.stdout).toMatch(/^No changes\./m);
      await git(dir, 'rm', '-q', 'aud/gold.yaml', 'aud/.shared/gold.yaml');
      const removed = await runCliInProcess(['plan', 'aud', '--base', 'main'], { cwd: dir, env: GIT_ENV });
      expect([removed.code, removed.stderr]).toEqual([0, '']);
      expect(removed.stdout).toMatch(/^ {2}- prod\/gold delete/m);
      expect(removed.stdout).toMatch(/^Plan: 0 to create, 0 to update, 0 to replace, 1 to delete,/m);
    });
  });
});

describe('plan --base of a directory that is a link the pull request repoints', () => {
  it('reads the base where the link pointed in the base, also when entered with cd', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, {
        'config/v1/silver.yaml': manifestYaml('silver'),
        'config/v1/gold.yaml': manifestYaml('gold'),
        'config/v2/silver.yaml': manifestYaml('silver'),
      });
      await symlink('config/v1', path.join(dir, 'audiences'));
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '-m', 'base');
      await rm(path.join(dir, 'audiences'));
      await symlink('config/v2', path.join(dir, 'audiences'));
      const linked = path.join(dir, 'audiences');
      // Named from the top, and `cd audiences && audiencectl plan .` (the shell's $PWD names the link).
      for (const [args, cwd, env] of [
        [['plan', 'audiences', '--base', 'main'], dir, GIT_ENV],
        [['plan', '.', '--base', 'main'], linked, { ...GIT_ENV, PWD: linked }],
      ] as const) {
        const result = await runCliInProcess([...args], { cwd, env });
        expect([args[1], result.code, result.stderr]).toEqual([args[1], 0, '']);
        expect(result.stdout).toMatch(/^ {2}- prod\/gold delete/m);
        expect(result.stdout).toMatch(/^Plan: 0 to create, 0 to update, 0 to replace, 1 to delete,/m);
      }
    });
  });
});
