import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Identity and isolation for test git commands, so they pass with no git identity configured. */
export const GIT_TEST_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return gitWith({}, cwd, ...args);
}

/** `git` with more environment (a commit's dates, say). */
async function gitWith(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { ...process.env, ...GIT_TEST_ENV, ...env } });
  return stdout.trim();
}

export type GitFixture = {
  root: string;
  /** The bare repository the source syncs from. */
  bare: string;
  /** A fresh work dir for the source under test. */
  workDir: string;
  /** Writes (string) or deletes (null) files, commits and pushes; returns the new commit id. */
  commit(
    files: Record<string, string | null>,
    options?: {
      branch?: string;
      message?: string;
      /** The commit's author and committer date (git's formats, e.g. `2026-01-01T00:00:00Z`). */
      date?: string;
    },
  ): Promise<string>;
  cleanup(): Promise<void>;
};

/** A bare repository plus a clone that pushes to it, in one temp dir. */
export async function createGitFixture(): Promise<GitFixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-git-'));
  const bare = path.join(root, 'remote.git');
  const clone = path.join(root, 'clone');
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  await git(root, 'init', '--quiet', '--initial-branch=main', clone);
  await git(clone, 'remote', 'add', 'origin', bare);
  return {
    root,
    bare,
    workDir: path.join(root, 'work'),
    async commit(files, options = {}) {
      const branch = options.branch ?? 'main';
      const current = await git(clone, 'rev-parse', '--abbrev-ref', 'HEAD').catch(() => 'main');
      if (current !== branch) await git(clone, 'checkout', '--quiet', '-B', branch);
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(clone, name);
        if (content === null) {
          await unlink(file);
          continue;
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
      await git(clone, 'add', '--all');
      const dated = options.date ? { GIT_AUTHOR_DATE: options.date, GIT_COMMITTER_DATE: options.date } : {};
      await gitWith(dated, clone, 'commit', '--quiet', '--allow-empty', '-m', options.message ?? 'change');
      await git(clone, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
      return git(clone, 'rev-parse', 'HEAD');
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
