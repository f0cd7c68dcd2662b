import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listManifestFilesSync } from '../../src/manifest/read-dir.js';
import { submodulePaths } from '../../src/manifest/read-submodules.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitIn, gitRepository } from '../helpers/work-tree.js';

// The directory reader's look for submodules that are not checked out, or checked out at another
// commit than the index records (stale), on real git work trees.

const allowFile = ['-c', 'protocol.file.allow=always'];

/** What the listing of `dir` warns about, as `file [rule]`, with the files it found. */
function listed(dir: string, options: Parameters<typeof listManifestFilesSync>[1] = {}) {
  const { found, diagnostics } = listManifestFilesSync(dir, options);
  return {
    found: found.map((f) => f.relative),
    warnings: diagnostics.map((d) => `${d.file} [${d.rule}]`),
  };
}

/**
 * The two work trees most cases start from (plainClone, recordedNewer) are made once for the
 * file, each in a folder of its own, and copied whole into each case's directory (copyOf): a
 * dozen git processes each, which made most of this file's CPU when every case made its own.
 * A case changes its copy only; the copies' submodule URLs name the originals' repositories,
 * which no case changes (a `submodule update` reads from there).
 */
let made: string;

beforeAll(async () => {
  made = await mkdtemp(path.join(tmpdir(), 'audiencectl-submodules-'));
  for (const [name, make] of [
    ['plain-clone', makePlainClone],
    ['recorded-newer', makeRecordedNewer],
  ] as const) {
    await mkdir(path.join(made, name));
    await make(path.join(made, name));
  }
}, 120_000);

afterAll(async () => {
  if (made !== undefined) await rm(made, { recursive: true, force: true });
});

/** A copy of the work trees made as `name` (beforeAll above) in `tmp`. */
async function copyOf(name: 'plain-clone' | 'recorded-newer', tmp: string): Promise<void> {
  await cp(path.join(made, name), tmp, { recursive: true });
}

/** repo with m/gold.yaml and the submodule m/shared (shared: silver.yaml), then a plain clone of it. */
async function makePlainClone(tmp: string) {
  const shared = await gitRepository(tmp, { 'silver.yaml': manifestYaml('silver') }, 'shared');
  const { repo, git } = await gitRepository(tmp, { 'm/gold.yaml': manifestYaml('gold') });
  await git(...allowFile, 'submodule', 'add', '--quiet', shared.repo, 'm/shared');
  await git('commit', '--quiet', '-m', 'm/shared');
  await gitIn(tmp)('clone', '--quiet', repo, path.join(tmp, 'plain'));
}

/** makePlainClone's work trees, copied into `tmp`: the plain clone's path. */
async function plainClone(tmp: string) {
  await copyOf('plain-clone', tmp);
  return { plain: path.join(tmp, 'plain') };
}

describe('submodules the directory reader did not read', () => {
  it('warns of one not checked out under the directory read, from the directory or from the top', async () => {
    await withTempDir(async (tmp) => {
      const { plain } = await plainClone(tmp);
      expect(listed(path.join(plain, 'm'))).toEqual({
        found: ['gold.yaml'],
        warnings: ['shared [source/submodule-not-checked-out]'],
      });
      expect(listed(plain)).toEqual({
        found: ['m/gold.yaml'],
        warnings: ['m/shared [source/submodule-not-checked-out]'],
      });
      // Filters under which no file of it would be read: nothing to warn of.
      expect(listed(path.join(plain, 'm'), { include: ['gold.yaml'] }).warnings).toEqual([]);
    });
  });

  it('says nothing once it is checked out, and reads its files', async () => {
    await withTempDir(async (tmp) => {
      const { plain } = await plainClone(tmp);
      await gitIn(plain)(...allowFile, 'submodule', 'update', '--quiet', '--init');
      expect(listed(path.join(plain, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/silver.yaml'],
        warnings: [],
      });
    });
  });

  it('a .gitmodules line left behind, its folder empty but no gitlink in the index: no warning', async () => {
    await withTempDir(async (tmp) => {
      const { repo } = await gitRepository(tmp, {
        'm/gold.yaml': manifestYaml('gold'),
        '.gitmodules': '[submodule "old"]\n\tpath = m/old\n\turl = ../old\n',
      });
      await mkdir(path.join(repo, 'm', 'old'));
      expect(listed(path.join(repo, 'm'))).toEqual({ found: ['gold.yaml'], warnings: [] });
    });
  });

  it('a submodule of a checked-out submodule, not checked out itself: warned of, by its path from the directory read', async () => {
    await withTempDir(async (tmp) => {
      const inner = await gitRepository(tmp, { 'bronze.yaml': manifestYaml('bronze') }, 'inner');
      const shared = await gitRepository(tmp, { 'silver.yaml': manifestYaml('silver') }, 'shared');
      await shared.git(...allowFile, 'submodule', 'add', '--quiet', inner.repo, 'inner');
      await shared.git('commit', '--quiet', '-m', 'inner');
      const { repo, git } = await gitRepository(tmp, { 'm/gold.yaml': manifestYaml('gold') });
      await git(...allowFile, 'submodule', 'add', '--quiet', shared.repo, 'm/shared');
      await git('commit', '--quiet', '-m', 'm/shared');
      const clone = path.join(tmp, 'clone');
      await gitIn(tmp)('clone', '--quiet', repo, clone);
      // The first level only (no --recursive): m/shared/inner stays empty.
      await gitIn(clone)(...allowFile, 'submodule', 'update', '--quiet', '--init');
      expect(listed(path.join(clone, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/silver.yaml'],
        warnings: ['shared/inner [source/submodule-not-checked-out]'],
      });
    });
  });

  it("a checkout without .git (the controller's) names its submodules in its .gitmodules", async () => {
    await withTempDir(async (tmp) => {
      const top = path.join(tmp, 'checkout');
      await mkdir(path.join(top, 'm', 'shared'), { recursive: true });
      await mkdir(path.join(top, 'm', 'listed'), { recursive: true });
      await writeFile(path.join(top, 'm', 'gold.yaml'), manifestYaml('gold'));
      await writeFile(path.join(top, 'm', 'listed', 'silver.yaml'), manifestYaml('silver'));
      await writeFile(
        path.join(top, '.gitmodules'),
        '[submodule "shared"]\n\tpath = m/shared\n\turl = ../shared\n[submodule "listed"]\n\tpath = m/listed\n',
      );
      // m/listed holds files: a folder of the tree (the line is one left behind), read.
      expect(listed(path.join(top, 'm'), { checkoutTop: top })).toEqual({
        found: ['gold.yaml', 'listed/silver.yaml'],
        warnings: ['shared [source/submodule-not-checked-out]'],
      });
      expect(() => listManifestFilesSync(path.join(top, 'm', 'shared'), { checkoutTop: top })).toThrow(
        "a git submodule, which the controller's git source does not check out",
      );
    });
  });
});

/**
 * repo with m/gold.yaml and the submodule m/shared, checked out: shared's first commit holds
 * silver.yaml, its second adds bronze.yaml, and repo records the second.
 */
async function makeRecordedNewer(tmp: string) {
  const shared = await gitRepository(tmp, { 'silver.yaml': manifestYaml('silver') }, 'shared');
  const { repo, git } = await gitRepository(tmp, { 'm/gold.yaml': manifestYaml('gold') });
  await git(...allowFile, 'submodule', 'add', '--quiet', shared.repo, 'm/shared');
  await git('commit', '--quiet', '-m', 'm/shared');
  const inShared = gitIn(path.join(repo, 'm', 'shared'));
  await writeFile(path.join(repo, 'm', 'shared', 'bronze.yaml'), manifestYaml('bronze'));
  await inShared('add', 'bronze.yaml');
  await inShared('commit', '--quiet', '-m', 'bronze');
  await git('add', 'm/shared');
  await git('commit', '--quiet', '-m', 'm/shared: bronze');
}

/** makeRecordedNewer's work trees, copied into `tmp`: repo, its git, and git in m/shared. */
async function recordedNewer(tmp: string) {
  await copyOf('recorded-newer', tmp);
  const repo = path.join(tmp, 'repo');
  return { repo, git: gitIn(repo), inShared: gitIn(path.join(repo, 'm', 'shared')) };
}

describe('submodules checked out at another commit than the index records (stale)', () => {
  it('a submodule left at an older commit: not read, warned of, from the directory or from the top', async () => {
    await withTempDir(async (tmp) => {
      const { repo, git, inShared } = await recordedNewer(tmp);
      await inShared('checkout', '--quiet', 'HEAD~1');
      expect((await git('status', '--porcelain')).stdout).toBe(' M m/shared\n');
      expect(listed(path.join(repo, 'm'))).toEqual({
        found: ['gold.yaml'],
        warnings: ['shared [source/submodule-stale]'],
      });
      expect(listed(repo)).toEqual({
        found: ['m/gold.yaml'],
        warnings: ['m/shared [source/submodule-stale]'],
      });
      // Filters under which no file of it would be read: nothing to warn of.
      expect(listed(path.join(repo, 'm'), { include: ['gold.yaml'] })).toEqual({
        found: ['gold.yaml'],
        warnings: [],
      });
      // Read from inside, the submodule is a work tree of its own (its HEAD is the one compared).
      expect(listed(path.join(repo, 'm', 'shared'))).toEqual({ found: ['silver.yaml'], warnings: [] });
    });
  });

  it('the message names the submodule and the way out', async () => {
    await withTempDir(async (tmp) => {
      const { repo, inShared } = await recordedNewer(tmp);
      await inShared('checkout', '--quiet', 'HEAD~1');
      const { diagnostics } = listManifestFilesSync(path.join(repo, 'm'));
      expect(diagnostics.map((d) => `${d.file}: ${d.severity}: ${d.message}`)).toEqual([
        'shared: warning: a git submodule checked out at another commit than the work tree records for it (git submodule status marks it +): its manifests are not read, and the audiences they defined are left as they are; run `git submodule update --init -- m/shared` at the top of the work tree, or, to apply the commit checked out, record it (`git add -- m/shared` there, and commit)',
      ]);
    });
  });

  it('in sync again (git submodule update): read, no warning', async () => {
    await withTempDir(async (tmp) => {
      const { repo, git, inShared } = await recordedNewer(tmp);
      await inShared('checkout', '--quiet', 'HEAD~1');
      await git(...allowFile, 'submodule', 'update', '--quiet', '--init', '--', 'm/shared');
      expect(listed(path.join(repo, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/bronze.yaml', 'shared/silver.yaml'],
        warnings: [],
      });
    });
  });

  it('changes not committed in a submodule at the recorded commit are read as they stand, as in the superproject', async () => {
    await withTempDir(async (tmp) => {
      const { repo, git } = await recordedNewer(tmp);
      await writeFile(path.join(repo, 'm', 'shared', 'iron.yaml'), manifestYaml('iron'));
      await writeFile(
        path.join(repo, 'm', 'shared', 'silver.yaml'),
        manifestYaml('silver', { spec: { description: 'edited' } }),
      );
      // git submodule status: no + (the commit recorded is the one checked out).
      expect((await git('submodule', 'status', '--', 'm/shared')).stdout).toMatch(
        /^ [0-9a-f]{40} m\/shared /,
      );
      expect(listed(path.join(repo, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/bronze.yaml', 'shared/iron.yaml', 'shared/silver.yaml'],
        warnings: [],
      });
    });
  });

  it('a newer commit checked out in the submodule is stale until the index records it (git add)', async () => {
    await withTempDir(async (tmp) => {
      const { repo, git, inShared } = await recordedNewer(tmp);
      await writeFile(path.join(repo, 'm', 'shared', 'iron.yaml'), manifestYaml('iron'));
      await inShared('add', 'iron.yaml');
      await inShared('commit', '--quiet', '-m', 'iron');
      expect(listed(path.join(repo, 'm')).warnings).toEqual(['shared [source/submodule-stale]']);
      await git('add', 'm/shared');
      expect(listed(path.join(repo, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/bronze.yaml', 'shared/iron.yaml', 'shared/silver.yaml'],
        warnings: [],
      });
    });
  });

  it('one not checked out beside one that is stale: each warned of by its own rule', async () => {
    await withTempDir(async (tmp) => {
      const { repo, git, inShared } = await recordedNewer(tmp);
      const other = await gitRepository(tmp, { 'iron.yaml': manifestYaml('iron') }, 'other');
      await git(...allowFile, 'submodule', 'add', '--quiet', other.repo, 'm/other');
      await git('commit', '--quiet', '-m', 'm/other');
      // git submodule deinit empties m/other's folder, as a clone that did not initialise it.
      await git('submodule', 'deinit', '--quiet', '--', 'm/other');
      await inShared('checkout', '--quiet', 'HEAD~1');
      expect(listed(path.join(repo, 'm'))).toEqual({
        found: ['gold.yaml'],
        // In .gitmodules' order.
        warnings: ['shared [source/submodule-stale]', 'other [source/submodule-not-checked-out]'],
      });
    });
  });

  it('a submodule of a checked-out submodule, stale itself: its files dropped, warned of by its path from the directory read', async () => {
    await withTempDir(async (tmp) => {
      const inner = await gitRepository(tmp, { 'bronze.yaml': manifestYaml('bronze') }, 'inner');
      const shared = await gitRepository(tmp, { 'silver.yaml': manifestYaml('silver') }, 'shared');
      await shared.git(...allowFile, 'submodule', 'add', '--quiet', inner.repo, 'inner');
      await shared.git('commit', '--quiet', '-m', 'inner');
      await writeFile(path.join(inner.repo, 'lead.yaml'), manifestYaml('lead'));
      await inner.git('add', 'lead.yaml');
      await inner.git('commit', '--quiet', '-m', 'lead');
      await gitIn(path.join(shared.repo, 'inner'))('pull', '--quiet', 'origin', 'main');
      await shared.git('add', 'inner');
      await shared.git('commit', '--quiet', '-m', 'inner: lead');
      const { repo, git } = await gitRepository(tmp, { 'm/gold.yaml': manifestYaml('gold') });
      await git(...allowFile, 'submodule', 'add', '--quiet', shared.repo, 'm/shared');
      await git('commit', '--quiet', '-m', 'm/shared');
      const clone = path.join(tmp, 'clone');
      await gitIn(tmp)(...allowFile, 'clone', '--quiet', '--recurse-submodules', repo, clone);
      expect(listed(path.join(clone, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/inner/bronze.yaml', 'shared/inner/lead.yaml', 'shared/silver.yaml'],
        warnings: [],
      });
      await gitIn(path.join(clone, 'm', 'shared', 'inner'))('checkout', '--quiet', 'HEAD~1');
      expect(listed(path.join(clone, 'm'))).toEqual({
        found: ['gold.yaml', 'shared/silver.yaml'],
        warnings: ['shared/inner [source/submodule-stale]'],
      });
    });
  });
});

describe('submodulePaths: the path values of a .gitmodules text', () => {
  it('reads quoted values, escapes and comments as git does; leaves out paths that would leave the folder', () => {
    const text = [
      '[submodule "a"]',
      '\tpath = m/a',
      '\turl = ../a',
      '[submodule "b c"]',
      '\tpath = "m/b c" ; a comment',
      '[submodule "d"]',
      '\tPath=m/d/ # trailing slash',
      '\tpath = "m/\\"q\\""',
      '\tpath = ../out',
      '\tpath = /abs',
    ].join('\n');
    expect(submodulePaths(text)).toEqual(['m/a', 'm/b c', 'm/d', 'm/"q"']);
  });
});
