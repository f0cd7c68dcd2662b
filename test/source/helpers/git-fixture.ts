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

/**
 * What a commit of the fixture runs in the clone, in one process (a spawn from the test worker
 * costs more than the git commands it starts): the branch checked out if it is not, everything
 * added and committed, and the commit made the bare repository's branch (and the clone's
 * remote-tracking ref of it, as a push leaves it). The bare repository borrows the clone's
 * objects (objects/info/alternates, written by createGitFixture), so the commit is "pushed" by
 * moving the ref: `git push` (receive-pack, pack-objects, unpack-objects: ~0.1 s of CPU a commit)
 * only copied objects the bare repository now reads where they are. What GitSource fetches from
 * it, and how (upload-pack over file://, git://, https), is the same.
 * $1 the branch, $2 the bare repository, $3 the message; prints the new commit's id.
 */
const COMMIT_SCRIPT = `set -e
current=$(git rev-parse --abbrev-ref HEAD 2>/dev/null) || current=main
[ "$current" = "$1" ] || git checkout --quiet -B "$1"
git add --all
git commit --quiet --allow-empty -m "$3"
sha=$(git rev-parse HEAD)
git --git-dir="$2" update-ref "refs/heads/$1" "$sha"
git update-ref "refs/remotes/origin/$1" "$sha"
echo "$sha"`;

/** A bare repository plus a clone that pushes to it, in one temp dir. */
export async function createGitFixture(): Promise<GitFixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-git-'));
  const bare = path.join(root, 'remote.git');
  const clone = path.join(root, 'clone');
  await run(
    'sh',
    [
      '-c',
      'set -e; git init --quiet --bare --initial-branch=main "$1"; git init --quiet --initial-branch=main "$2"; git -C "$2" remote add origin "$1"',
      'sh',
      bare,
      clone,
    ],
    { cwd: root, env: { ...process.env, ...GIT_TEST_ENV } },
  );
  await writeFile(
    path.join(bare, 'objects', 'info', 'alternates'),
    `${path.join(clone, '.git', 'objects')}\n`,
  );
  return {
    root,
    bare,
    workDir: path.join(root, 'work'),
    async commit(files, options = {}) {
      const branch = options.branch ?? 'main';
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(clone, name);
        if (content === null) {
          await unlink(file);
          continue;
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
      const dated = options.date ? { GIT_AUTHOR_DATE: options.date, GIT_COMMITTER_DATE: options.date } : {};
      const { stdout } = await run(
        'sh',
        ['-c', COMMIT_SCRIPT, 'sh', branch, bare, options.message ?? 'change'],
        {
          cwd: clone,
          env: { ...process.env, ...GIT_TEST_ENV, ...dated },
        },
      );
      return stdout.trim();
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
