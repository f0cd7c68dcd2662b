import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listManifestFilesSync } from '../../src/manifest/read-dir.js';
import { submodulePaths } from '../../src/manifest/read-submodules.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitIn, gitRepository } from '../helpers/work-tree.js';

// The directory reader's look for submodules that are not checked out, on real git work trees.

const allowFile = ['-c', 'protocol.file.allow=always'];

/** What the listing of `dir` warns about, as `file [rule]`, with the files it found. */
function listed(dir: string, options: Parameters<typeof listManifestFilesSync>[1] = {}) {
  const { found, diagnostics } = listManifestFilesSync(dir, options);
  return {
    found: found.map((f) => f.relative),
    warnings: diagnostics.map((d) => `${d.file} [${d.rule}]`),
  };
}

/** repo with m/gold.yaml and the submodule m/shared (shared: silver.yaml), then a plain clone of it. */
async function plainClone(tmp: string) {
  const shared = await gitRepository(tmp, { 'silver.yaml': manifestYaml('silver') }, 'shared');
  const { repo, git } = await gitRepository(tmp, { 'm/gold.yaml': manifestYaml('gold') });
  await git(...allowFile, 'submodule', 'add', '--quiet', shared.repo, 'm/shared');
  await git('commit', '--quiet', '-m', 'm/shared');
  const plain = path.join(tmp, 'plain');
  await gitIn(tmp)('clone', '--quiet', repo, plain);
  return { repo, plain, shared };
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
