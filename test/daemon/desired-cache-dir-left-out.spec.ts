import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesiredCache, type ManifestReader } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { readManifestFile, type ReadDirOptions } from '../../src/manifest/read-dir.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitIn, gitRepository } from '../helpers/work-tree.js';

// What a full read says it did not read (a submodule not checked out) makes an incremental read
// of a watched directory a full one (review 34c, H-1); what it does not say leaves it incremental.
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
