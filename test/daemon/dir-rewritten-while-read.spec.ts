import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DesiredCache } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { manifestYaml } from '../helpers/manifests.js';

// A watched directory's file rewritten with the same bytes (a generator run again, a formatter
// that changes nothing, an editor's save) while a pass reads it: the sync digested the whole file,
// the pass read it half written, or missing. Once the write completes the tree is the revision the
// sync saw, so the next syncs say "unchanged"; the cache must read the file again rather than keep
// the half read, which every later pass (the settle pass of the held removals, a refresh, a retry)
// planned from: the audiences of the documents still being written were deleted (review 40, F-1).

const SETTINGS = { read: {}, defaultSandbox: 'prod' };
const WHOLE = [manifestYaml('a'), manifestYaml('b'), manifestYaml('c')].join('---\n');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-review-rewrite-'));
  await writeFile(path.join(dir, 'all.yaml'), WHOLE);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('a file read half written while its revision was whole is read again once whole', async () => {
  const src = new DirectorySource(dir);
  const cache = new DesiredCache(SETTINGS);
  // The resync's sync digests the whole file...
  const scanned = await src.sync(undefined, { full: true });
  // ...and the generator truncates and writes it again before the pass reads it.
  await writeFile(path.join(dir, 'all.yaml'), manifestYaml('a'));
  const halfRead = await cache.load(scanned, src, { full: true, reason: 'resync' });
  expect(halfRead.manifests.map((m) => m.key)).toEqual(['a']);
  // Not what the revision names: read again at the next pass, which the reconciler then runs.
  expect(cache.unsettled).toEqual(['all.yaml']);
  // The write completes: the same bytes as the sync saw.
  await writeFile(path.join(dir, 'all.yaml'), WHOLE);
  src.noteChanged(['all.yaml']);
  const after = await src.sync();
  expect(after.revision).toBe(scanned.revision);

  // The settle pass the held removals asked for.
  const loaded = await cache.load(after, src, { full: false, reason: '' });
  const full = await loadRevision(dir, SETTINGS);
  expect(full.manifests.map((m) => m.key)).toEqual(['a', 'b', 'c']);
  expect(loaded.manifests.map((m) => m.key)).toEqual(['a', 'b', 'c']);
  expect(loaded).toEqual(full);
  expect(cache.last).toMatchObject({ mode: 'incremental', read: ['all.yaml'] });
  expect(cache.unsettled).toEqual([]);
});

it('a file an editor saved unchanged while the pass read the tree (moved aside, written again) is read again', async () => {
  const src = new DirectorySource(dir);
  const cache = new DesiredCache(SETTINGS);
  const scanned = await src.sync(undefined, { full: true });
  // The editor's save: the file moved aside (its backup), the pass reads the tree now...
  await rename(path.join(dir, 'all.yaml'), path.join(dir, 'all.yaml~'));
  const read = await cache.load(scanned, src, { full: true, reason: 'resync' });
  expect(read.manifests).toEqual([]);
  expect(cache.unsettled).toEqual(['all.yaml']);
  // ...then written again with the same bytes, and its backup removed.
  await writeFile(path.join(dir, 'all.yaml'), WHOLE);
  await rm(path.join(dir, 'all.yaml~'));
  src.noteChanged(['all.yaml', 'all.yaml~']);
  const after = await src.sync();
  expect(after.revision).toBe(scanned.revision);

  const loaded = await cache.load(after, src, { full: false, reason: '' });
  expect(loaded.manifests.map((m) => m.key)).toEqual(['a', 'b', 'c']);
  expect(loaded).toEqual(await loadRevision(dir, SETTINGS));
  expect(cache.unsettled).toEqual([]);
});
