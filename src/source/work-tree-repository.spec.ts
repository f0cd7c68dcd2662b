import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../../test/helpers/cli.js';
import { gitIn } from '../../test/helpers/work-tree.js';
import { rerecordsRepository, sameRepository } from '../manifest/source-root.js';
import { recordedRepositoryOf } from './repository-id.js';
import { rootCommits, workTreeRemotes, workTreeRepository } from './work-tree-repository.js';

/** A repository at `root/repo` with `remotes` (name to URL); its subdirectory `audiences`. */
async function withRemotes(root: string, remotes: Record<string, string>): Promise<string> {
  const repo = path.join(root, 'repo');
  await mkdir(path.join(repo, 'audiences'), { recursive: true });
  const git = gitIn(repo);
  await git('init', '--quiet');
  for (const [name, url] of Object.entries(remotes)) await git('remote', 'add', name, url);
  return path.join(repo, 'audiences');
}

describe('workTreeRepository: the repository a work tree is a clone of, by its remote', () => {
  it.each([
    [{ origin: 'https://github.com/Acme/Audiences.git' }, 'acme/audiences'],
    [
      { origin: 'git@github.com:acme/audiences.git', upstream: 'git@github.com:other/x.git' },
      'acme/audiences',
    ],
    [{ upstream: 'ssh://git@gitlab.example.com:2222/group/sub/repo.git' }, 'group/sub/repo'],
    [{ origin: 'https://dev.azure.com/org/project/_git/repo' }, 'org/project/repo'],
    [{ origin: 'git@ssh.dev.azure.com:v3/org/project/repo' }, 'v3/org/project/repo'],
  ])('reads %j as %s', async (remotes, expected) => {
    await withTempDir(async (root) => {
      expect(await workTreeRepository(await withRemotes(root, remotes))).toBe(expected);
    });
  });

  it.each([
    [{}, 'no remote'],
    [
      { upstream: 'https://github.com/acme/a.git', fork: 'https://github.com/me/a.git' },
      'two, neither origin',
    ],
    [{ origin: '/srv/git/audiences.git' }, 'a local path'],
  ])('is undefined for %j (%s)', async (remotes, _why) => {
    await withTempDir(async (root) => {
      expect(await workTreeRepository(await withRemotes(root, remotes))).toBeUndefined();
    });
  });

  it('is undefined outside git and for a directory that does not exist', async () => {
    await withTempDir(async (root) => {
      expect(await workTreeRepository(root)).toBeUndefined();
      expect(await workTreeRepository(path.join(root, 'gone'))).toBeUndefined();
    });
  });
});

describe("workTreeRemotes: the repositories a clone's other remotes name", () => {
  it('names each hosted one besides origin, leaving out those naming none or origin itself', async () => {
    await withTempDir(async (root) => {
      const dir = await withRemotes(root, {
        origin: 'https://github.com/alice/audiences.git',
        upstream: 'git@github.com:Acme/Audiences.git',
        mirror: 'https://github.com/alice/audiences',
        gone: '/srv/git/none.git',
      });
      expect(await workTreeRemotes(dir)).toEqual({
        repository: 'alice/audiences',
        others: [{ remote: 'upstream', repository: 'acme/audiences' }],
      });
    });
  });

  it("reads a remote that is a local clone (or file:// URL) as the repository that clone's origin names", async () => {
    await withTempDir(async (root) => {
      const canon = await withRemotes(path.join(root, 'canon'), {
        origin: 'https://github.com/acme/audiences.git',
      });
      const top = path.dirname(canon);
      const a = await withRemotes(path.join(root, 'a'), {
        origin: 'https://github.com/alice/audiences.git',
        upstream: top,
      });
      const b = await withRemotes(path.join(root, 'b'), {
        origin: 'https://github.com/bob/audiences.git',
        upstream: `file://${top}`,
      });
      const expected = [{ remote: 'upstream', repository: 'acme/audiences' }];
      expect((await workTreeRemotes(a)).others).toEqual(expected);
      expect((await workTreeRemotes(b)).others).toEqual(expected);
    });
  });

  it("names none when the clone's own repository is unknown", async () => {
    await withTempDir(async (root) => {
      const dir = await withRemotes(root, {
        upstream: 'https://github.com/acme/a.git',
        fork: 'https://github.com/me/a.git',
      });
      expect(await workTreeRemotes(dir)).toEqual({ others: [] });
    });
  });
});

describe('sameRepository and rerecordsRepository', () => {
  it('takes a path and one under a prefix for the same repository (a mirror, ssh and https of one host)', () => {
    expect(sameRepository('acme/a', 'acme/a')).toBe(true);
    expect(sameRepository('mirrors/acme/a', 'acme/a')).toBe(true);
    expect(sameRepository('scm/proj/repo', 'proj/repo')).toBe(true);
    expect(sameRepository(recordedRepositoryOf('https://dev.azure.com/org/p/_git/r')!, 'v3/org/p/r')).toBe(
      true,
    );
    expect(sameRepository('acme/a', 'acme/b')).toBe(false);
    expect(sameRepository('acme/a', 'other/acme-a')).toBe(false);
    expect(sameRepository('x/a', 'y/a')).toBe(false);
  });

  it('re-records a record of none or of another, never when the plan knows none', () => {
    expect(rerecordsRepository(undefined, 'acme/a')).toBe(true);
    expect(rerecordsRepository('acme/old', 'acme/a')).toBe(true);
    expect(rerecordsRepository('acme/a', 'acme/a')).toBe(false);
    expect(rerecordsRepository('mirrors/acme/a', 'acme/a')).toBe(false);
    expect(rerecordsRepository('acme/a', undefined)).toBe(false);
  });
});

describe('rootCommits with roots recorded of an earlier commit: the walk of the whole history spared', () => {
  // A root no history here has: returned only when the recorded roots were taken as they are.
  const RECORDED = 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1';

  /** A repository of three commits on main; its root, its commits oldest first, and its git. */
  async function history(root: string) {
    const repo = path.join(root, 'repo');
    await mkdir(repo);
    const git = gitIn(repo);
    await git('init', '--quiet', '--initial-branch', 'main');
    const commits: string[] = [];
    for (const n of [1, 2, 3]) {
      await git('commit', '--quiet', '--allow-empty', '-m', `c${n}`);
      commits.push((await git('rev-parse', 'HEAD')).stdout.trim());
    }
    return { repo, git, commits, root: commits[0] ?? '' };
  }

  it("reuses an ancestor's roots, adding those of the commits since (a merge of an unrelated history)", async () => {
    await withTempDir(async (root) => {
      const { repo, git, commits } = await history(root);
      const known = { commit: commits[1] ?? '', roots: [RECORDED] };
      expect(await rootCommits(repo, known)).toEqual([RECORDED]);
      // Another history merged in since: its root is the repository's too.
      await git('checkout', '--quiet', '--orphan', 'other');
      await git('commit', '--quiet', '--allow-empty', '-m', 'other root');
      const otherRoot = (await git('rev-parse', 'HEAD')).stdout.trim();
      await git('checkout', '--quiet', 'main');
      await git('merge', '--quiet', '--allow-unrelated-histories', '-m', 'merge', 'other');
      expect(await rootCommits(repo, known)).toEqual([RECORDED, otherRoot].sort());
    });
  });

  it('walks the whole history when the recorded commit is not an ancestor (rolled back from, not fetched)', async () => {
    await withTempDir(async (root) => {
      const { repo, git, commits, root: first } = await history(root);
      expect(await rootCommits(repo)).toEqual([first]);
      await git('reset', '--quiet', '--hard', 'HEAD~1');
      expect(await rootCommits(repo, { commit: commits[2] ?? '', roots: [RECORDED] })).toEqual([first]);
      const absent = 'f'.repeat(40);
      expect(await rootCommits(repo, { commit: absent, roots: [RECORDED] })).toEqual([first]);
    });
  });

  it('says none in a shallow clone, recorded roots or not', async () => {
    await withTempDir(async (root) => {
      const { repo, commits } = await history(root);
      const shallow = path.join(root, 'shallow');
      await gitIn(root)('clone', '--quiet', '--depth', '2', `file://${repo}`, shallow);
      expect(await rootCommits(shallow)).toBeUndefined();
      expect(await rootCommits(shallow, { commit: commits[1] ?? '', roots: [RECORDED] })).toBeUndefined();
    });
  });
});
