import { lstat, readFile, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SourceSyncError } from '../../src/source/errors.js';
import { GitSource } from '../../src/source/git-source.js';
import { createGitFixture, git, type GitFixture } from './helpers/git-fixture.js';

let fx: GitFixture;

beforeEach(async () => {
  fx = await createGitFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

/** Every file's content and every directory (with a trailing slash) under `dir`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const relative = path.relative(dir, path.join(entry.parentPath, entry.name));
    out[entry.isDirectory() ? `${relative}/` : relative] = entry.isDirectory()
      ? ''
      : await readFile(path.join(dir, relative), 'utf8');
  }
  return out;
}

function source(extra: Partial<ConstructorParameters<typeof GitSource>[0]> = {}): GitSource {
  return new GitSource({ url: fx.bare, branch: 'main', workDir: fx.workDir, allowFileUrls: true, ...extra });
}

async function syncError(promise: Promise<unknown>): Promise<SourceSyncError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceSyncError);
  return error as SourceSyncError;
}

describe('GitSource on a real repository', () => {
  it('checks out the resolved commit, then reports no change until a new push', async () => {
    const first = await fx.commit({ 'a.yaml': 'a: 1\n', 'nested/b.yaml': 'b: 1\n' });
    const src = source();
    const one = await src.sync();
    expect(one).toMatchObject({ revision: first, changed: true });
    expect(await readFile(path.join(one.dir, 'a.yaml'), 'utf8')).toBe('a: 1\n');
    expect(await readFile(path.join(one.dir, 'nested/b.yaml'), 'utf8')).toBe('b: 1\n');
    await expect(readdir(path.join(one.dir, '.git'))).rejects.toThrow();

    // The commit's committer time, as git prints it, for the records of what a pass applies.
    const seconds = Number(await git(path.join(fx.root, 'clone'), 'show', '-s', '--format=%ct', first));
    const commit = { commit: first, committedAt: new Date(seconds * 1000).toISOString() };
    expect(one.commit).toEqual(commit);
    // The history's root commit, recorded with the sandboxes' marks (SandboxMark.roots).
    const roots = [await git(path.join(fx.root, 'clone'), 'rev-list', '--max-parents=0', 'HEAD')];
    expect(one.roots).toEqual(roots);
    const again = await src.sync();
    expect(again).toEqual({ revision: first, dir: one.dir, top: one.dir, changed: false, commit, roots });

    const second = await fx.commit({ 'a.yaml': 'a: 2\n', 'nested/b.yaml': null });
    const two = await src.sync(undefined, { full: true });
    expect(two).toMatchObject({ revision: second, changed: true, roots });
    expect(two.dir).not.toBe(one.dir);
    expect(await readFile(path.join(two.dir, 'a.yaml'), 'utf8')).toBe('a: 2\n');
    await expect(readFile(path.join(two.dir, 'nested/b.yaml'))).rejects.toThrow();
    // A full sync checks the tree out whole: the previous revision's tree is untouched.
    expect(await readFile(path.join(one.dir, 'a.yaml'), 'utf8')).toBe('a: 1\n');
    expect(await readFile(path.join(one.dir, 'nested/b.yaml'), 'utf8')).toBe('b: 1\n');
    await src.close();
  });

  it('keeps only the current and previous checkouts, and only the current one once updated', async () => {
    const src = source();
    const shas: string[] = [];
    for (const n of [1, 2, 3]) {
      shas.push(await fx.commit({ 'a.yaml': `a: ${n}\n` }));
      await src.sync(undefined, { full: true });
    }
    const revs = () => readdir(path.join(fx.workDir, 'revs')).then((names) => names.sort());
    expect(await revs()).toEqual([shas[1], shas[2]].sort());
    const updated = await fx.commit({ 'a.yaml': 'a: 4\n' });
    await src.sync();
    // The previous tree became the updated one; the one before it is pruned.
    expect(await revs()).toEqual([updated]);
  });

  it('updates the previous tree with the diff into exactly the tree a checkout gives', async () => {
    await fx.commit({
      'a.yaml': 'a\n',
      'x/y/z.yaml': 'z\n',
      'x/w.yaml': 'w\n',
      file: 'f\n',
      'exec.sh': 'e\n',
    });
    const src = source();
    await src.sync();
    // A second source checks every revision out whole.
    const whole = source({ workDir: `${fx.workDir}-whole` });
    const steps: Array<Record<string, string | null>> = [
      { 'a.yaml': 'a2\n', 'new/b.yaml': 'b\n', 'x/y/z.yaml': null },
      { 'x/w.yaml': null, file: null, 'file/inside.yaml': 'now a directory\n' },
      { file: 'a file again\n', 'new/b.yaml': 'b2\n', 'a.yaml': null },
    ];
    for (const [index, files] of steps.entries()) {
      // The directory `file` goes: the commit adds a file of that name in its place.
      if (index === 2) await rm(path.join(fx.root, 'clone', 'file'), { recursive: true });
      const sha = await fx.commit(files);
      const updated = await src.sync();
      const checkout = await whole.sync(undefined, { full: true });
      expect(updated.revision).toBe(sha);
      expect(await tree(updated.dir)).toEqual(await tree(checkout.dir));
    }
    expect(await tree((await src.sync()).dir)).toEqual({
      'exec.sh': 'e\n',
      file: 'a file again\n',
      'new/b.yaml': 'b2\n',
      'new/': '',
    });
  });

  it('reads manifests from the sub-path and refuses a missing one', async () => {
    const sha = await fx.commit({ 'audiences/gold.yaml': 'g: 1\n', 'README.md': 'x\n' });
    const sub = await source({ path: './audiences/' }).sync();
    expect(sub.revision).toBe(sha);
    expect(path.basename(sub.dir)).toBe('audiences');
    expect(await readdir(sub.dir)).toEqual(['gold.yaml']);
    // The whole checkout, where a pass stops looking above --path (src/manifest/read-elsewhere.ts).
    expect(sub.top).toBe(path.dirname(sub.dir));
    expect((await readdir(sub.top!)).sort()).toEqual(['README.md', 'audiences']);

    const missing = await syncError(source({ path: 'nope', workDir: `${fx.workDir}-2` }).sync());
    expect(missing.code).toBe('SOURCE_PATH_NOT_FOUND');
    expect(missing.message).toContain(sha);
  });

  it('follows the configured branch and reports a missing one', async () => {
    await fx.commit({ 'a.yaml': 'main\n' });
    const dev = await fx.commit({ 'a.yaml': 'dev\n' }, { branch: 'feature/dev' });
    const result = await source({ branch: 'feature/dev' }).sync();
    expect(result.revision).toBe(dev);
    expect(await readFile(path.join(result.dir, 'a.yaml'), 'utf8')).toBe('dev\n');

    const error = await syncError(source({ branch: 'missing', workDir: `${fx.workDir}-2` }).sync());
    expect(error.code).toBe('SOURCE_BRANCH_NOT_FOUND');
    expect(error.message).toMatch(/branch/);
  });

  it('follows a force-push that rewrites history', async () => {
    await fx.commit({ 'a.yaml': '1\n' });
    const replaced = await fx.commit({ 'a.yaml': '2\n' });
    const src = source();
    expect((await src.sync()).revision).toBe(replaced);
    await git(path.join(fx.root, 'clone'), 'reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = await fx.commit({ 'a.yaml': 'rewritten\n' }, { message: 'other' });
    const result = await src.sync();
    expect(result.revision).toBe(rewritten);
    // The rewritten history's root (the last sync's commit is no ancestor of it: walked whole).
    expect(result.roots).toEqual([
      await git(path.join(fx.root, 'clone'), 'rev-list', '--max-parents=0', 'HEAD'),
    ]);
    expect(await readFile(path.join(result.dir, 'a.yaml'), 'utf8')).toBe('rewritten\n');
  });

  it('says no root commits of a shallow fetch (--git-depth): its cut-off commit is no root', async () => {
    const root = await fx.commit({ 'a.yaml': '1\n' });
    await fx.commit({ 'a.yaml': '2\n' });
    const third = await fx.commit({ 'a.yaml': '3\n' });
    const full = await source().sync();
    expect(full.roots).toEqual([root]);
    await rm(fx.workDir, { recursive: true, force: true });
    const shallow = await source({ depth: 1 }).sync();
    expect(shallow.revision).toBe(third);
    expect(shallow.roots).toBeUndefined();
    // And says why, which the marks then say (SandboxMark.shallow).
    expect(shallow.shallow).toBe(true);
    expect(full.shallow).toBeUndefined();
  });

  it('checks symlinks out as plain files so a repository cannot point outside', async () => {
    const clone = path.join(fx.root, 'clone');
    await fx.commit({ 'a.yaml': 'a\n' });
    await git(clone, 'config', 'core.symlinks', 'true');
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc', path.join(clone, 'escape'));
    await symlink('/etc/passwd', path.join(clone, 'passwd.yaml'));
    await fx.commit({});
    const result = await source().sync();
    const info = await lstat(path.join(result.dir, 'passwd.yaml'));
    expect(info.isSymbolicLink()).toBe(false);
    expect(await readFile(path.join(result.dir, 'passwd.yaml'), 'utf8')).toBe('/etc/passwd');
    await expect(readlink(path.join(result.dir, 'escape'))).rejects.toThrow();

    const escape = await syncError(source({ path: 'escape', workDir: `${fx.workDir}-2` }).sync());
    expect(escape.code).toBe('SOURCE_PATH_NOT_FOUND');
  });

  it('writes at a link to a file inside the path that file, as a checkout with links reads it; no link on disk, nothing read outside', async () => {
    const clone = path.join(fx.root, 'clone');
    await fx.commit({ 'aud/.shared/g1.yaml': 'g: 1\n', 'other/x.yaml': 'x: 1\n' });
    await git(clone, 'config', 'core.symlinks', 'true');
    const { symlink } = await import('node:fs/promises');
    await symlink('.shared/g1.yaml', path.join(clone, 'aud/g1.yaml'));
    await symlink('../aud/.shared', path.join(clone, 'other/shared'));
    await symlink('../other/shared/g1.yaml', path.join(clone, 'aud/through.yaml'));
    await symlink('../other/x.yaml', path.join(clone, 'aud/outside.yaml'));
    await symlink('/etc/hostname', path.join(clone, 'aud/machine.yaml'));
    await symlink('gone.yaml', path.join(clone, 'aud/gone.yaml'));
    await symlink('.shared', path.join(clone, 'aud/folder'));
    await fx.commit({});
    const src = source({ path: 'aud' });
    const one = await src.sync();
    expect(one.links).toEqual([
      { path: 'folder', kind: 'folder' },
      { path: 'g1.yaml', kind: 'file', target: '.shared/g1.yaml' },
      { path: 'gone.yaml', kind: 'missing' },
      { path: 'machine.yaml', kind: 'outside' },
      { path: 'outside.yaml', kind: 'outside' },
      { path: 'through.yaml', kind: 'file', target: '.shared/g1.yaml' },
    ]);
    expect(await tree(one.dir)).toEqual({
      '.shared/': '',
      '.shared/g1.yaml': 'g: 1\n',
      folder: '.shared',
      'g1.yaml': 'g: 1\n',
      'gone.yaml': 'gone.yaml',
      'machine.yaml': '/etc/hostname',
      'outside.yaml': '../other/x.yaml',
      'through.yaml': 'g: 1\n',
    });
    for (const name of ['g1.yaml', 'through.yaml', 'machine.yaml', 'folder'])
      expect((await lstat(path.join(one.dir, name))).isSymbolicLink()).toBe(false);

    // The target alone edited: the checkout updated in place writes the link's file again.
    await fx.commit({ 'aud/.shared/g1.yaml': 'g: 2\n' });
    const two = await src.sync();
    expect(await readFile(path.join(two.dir, 'g1.yaml'), 'utf8')).toBe('g: 2\n');
    expect(await readFile(path.join(two.dir, 'through.yaml'), 'utf8')).toBe('g: 2\n');
    // The target removed: the link's file holds its own text again, and it is missing.
    await fx.commit({ 'aud/.shared/g1.yaml': null });
    const three = await src.sync();
    expect(await readFile(path.join(three.dir, 'g1.yaml'), 'utf8')).toBe('.shared/g1.yaml');
    expect(three.links).toContainEqual({ path: 'g1.yaml', kind: 'missing' });
  });

  it('does not fetch submodules', async () => {
    const other = await createGitFixture();
    try {
      await other.commit({ 'secret.txt': 'from submodule\n' });
      const clone = path.join(fx.root, 'clone');
      await fx.commit({ 'a.yaml': 'a\n' });
      await git(clone, '-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', other.bare, 'sub');
      await fx.commit({});
      const result = await source().sync();
      expect(await readFile(path.join(result.dir, '.gitmodules'), 'utf8')).toContain('sub');
      expect(await readdir(path.join(result.dir, 'sub'))).toEqual([]);
    } finally {
      await other.cleanup();
    }
  });

  it('serialises concurrent syncs and resumes from an existing work dir', async () => {
    const sha = await fx.commit({ 'a.yaml': 'a\n' });
    const src = source();
    const [a, b] = await Promise.all([src.sync(), src.sync()]);
    expect([a.changed, b.changed]).toEqual([true, false]);
    expect(b.revision).toBe(sha);
    // Its work dir lock is released: a restart on the same work dir starts.
    await src.close();

    const restarted = await source().sync();
    // Its only commit is its history's root.
    expect(restarted).toEqual({
      revision: sha,
      dir: a.dir,
      top: a.dir,
      changed: true,
      commit: a.commit,
      roots: [sha],
    });
  });

  it('heals a work dir whose repository was wiped', async () => {
    const sha = await fx.commit({ 'a.yaml': 'a\n' });
    const src = source();
    await src.sync();
    await rm(path.join(fx.workDir, 'repo'), { recursive: true, force: true });
    const next = await fx.commit({ 'a.yaml': 'b\n' });
    expect(next).not.toBe(sha);
    const result = await src.sync();
    expect(result).toMatchObject({ revision: next, changed: true });
    expect(await readFile(path.join(result.dir, 'a.yaml'), 'utf8')).toBe('b\n');
  });

  it('stops with SOURCE_ABORTED when the signal is aborted', async () => {
    await fx.commit({ 'a.yaml': 'a\n' });
    const controller = new AbortController();
    controller.abort();
    const error = await syncError(source().sync(controller.signal));
    expect(error.code).toBe('SOURCE_ABORTED');
  });

  it('recovers after a failed sync once the branch exists', async () => {
    const src = source({ branch: 'later' });
    expect((await syncError(src.sync())).code).toBe('SOURCE_BRANCH_NOT_FOUND');
    const sha = await fx.commit({ 'a.yaml': 'a\n' }, { branch: 'later' });
    expect((await src.sync()).revision).toBe(sha);
  });
});
