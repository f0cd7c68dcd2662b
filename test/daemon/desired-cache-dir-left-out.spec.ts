import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesiredCache, type ManifestReader } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { readManifestFile, type ReadDirOptions } from '../../src/manifest/read-dir.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitIn, gitRepository } from '../helpers/work-tree.js';

// What a full read says it did not read (files the default selection leaves out, submodules not
// checked out) makes an incremental read of a watched directory a full one (review 34c); what it
// does not say leaves it incremental.
const incremental = { full: false, reason: '' };
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'audiencectl-cache-left-out-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function started(
  dir: string,
  read: ReadDirOptions = {},
): Promise<{ src: DirectorySource; cache: DesiredCache; reads: string[] }> {
  const src = new DirectorySource(dir);
  const reads: string[] = [];
  const readFile: ManifestReader = (relative, absolute, max) => {
    reads.push(relative);
    return readManifestFile(relative, absolute, max);
  };
  const cache = new DesiredCache({ read, defaultSandbox: 'prod', readFile });
  await cache.load(await src.sync(undefined, { full: true }), src, incremental);
  expect(cache.last).toMatchObject({ mode: 'full', reason: 'first read' });
  return { src, cache, reads };
}

const shown = (loaded: { diagnostics: Array<{ file: string; rule: string }> }) =>
  loaded.diagnostics.map((d) => `${d.file} ${d.rule}`);

describe('DesiredCache on a watched directory: what a full read says it leaves out', () => {
  it('a file the default selection leaves out: a full read with its warning; a dot folder YAML of no manifest, or filters given: incremental', async () => {
    const dir = path.join(root, 'manifests');
    await mkdir(path.join(dir, '.github', 'workflows'), { recursive: true });
    await writeFile(path.join(dir, 'a.yaml'), manifestYaml('a'));
    const { src, cache, reads } = await started(dir);

    await writeFile(path.join(dir, '.github', 'workflows', 'ci.yml'), 'name: ci\non: push\n');
    await writeFile(path.join(dir, 'a.yaml'), manifestYaml('a', { spec: { description: 'Edited' } }));
    src.noteChanged(['.github/workflows/ci.yml', 'a.yaml']);
    const quiet = await cache.load(await src.sync(), src, incremental);
    expect(cache.last).toMatchObject({ mode: 'incremental', read: ['a.yaml'] });
    expect(shown(quiet)).toEqual([]);
    expect(quiet).toEqual(await loadRevision(dir, { read: {}, defaultSandbox: 'prod' }));

    await writeFile(path.join(dir, 'b.YAML'), manifestYaml('b'));
    src.noteChanged(['b.YAML']);
    reads.length = 0;
    const said = await cache.load(await src.sync(), src, incremental);
    expect(cache.last).toMatchObject({
      mode: 'full',
      reason: 'a file left out by the default selection changed',
    });
    expect(shown(said)).toEqual(['b.YAML source/not-selected']);
    expect(said).toEqual(await loadRevision(dir, { read: {}, defaultSandbox: 'prod' }));

    // With --include given, nothing is said of what it leaves out: the next read stays incremental.
    const filtered = path.join(root, 'filtered');
    await mkdir(filtered);
    await writeFile(path.join(filtered, 'a.yaml'), manifestYaml('a'));
    const read = { include: ['**/*.yaml'] };
    const other = await started(filtered, read);
    await writeFile(path.join(filtered, 'b.YAML'), manifestYaml('b'));
    other.src.noteChanged(['b.YAML']);
    const unsaid = await other.cache.load(await other.src.sync(), other.src, incremental);
    expect(other.cache.last).toMatchObject({ mode: 'incremental', read: [] });
    expect(shown(unsaid)).toEqual([]);
    expect(unsaid).toEqual(await loadRevision(filtered, { read, defaultSandbox: 'prod' }));
  });

  it('a checked-out submodule at its commit: incremental; deinit (its folder emptied): a full read, holding its warning', async () => {
    const shared = await gitRepository(root, { 'c.yaml': manifestYaml('c') }, 'shared');
    const work = await gitRepository(root, { 'a.yaml': manifestYaml('a') }, 'work');
    await work.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', shared.repo, 'shared');
    await work.git('commit', '--quiet', '-m', 'shared: a submodule');
    const { src, cache } = await started(work.repo);
    expect(cache.last?.read).toEqual(['a.yaml', 'shared/c.yaml']);

    await writeFile(path.join(work.repo, 'a.yaml'), manifestYaml('a', { spec: { description: 'Edited' } }));
    src.noteChanged(['a.yaml']);
    const edited = await cache.load(await src.sync(), src, incremental);
    expect(cache.last).toMatchObject({ mode: 'incremental', read: ['a.yaml'] });
    expect(edited).toEqual(await loadRevision(work.repo, { read: {}, defaultSandbox: 'prod' }));

    await gitIn(work.repo)('submodule', 'deinit', '--quiet', '--force', 'shared');
    src.noteChanged(['shared/c.yaml']);
    const emptied = await cache.load(await src.sync(), src, incremental);
    expect(cache.last).toMatchObject({ mode: 'full', reason: 'a submodule not checked out' });
    expect(shown(emptied)).toEqual(['shared source/submodule-not-checked-out']);
    expect(emptied.manifests.map((m) => m.key)).toEqual(['a']);
    expect(emptied).toEqual(await loadRevision(work.repo, { read: {}, defaultSandbox: 'prod' }));
  });
});
