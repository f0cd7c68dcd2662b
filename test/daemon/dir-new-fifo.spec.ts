import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DesiredCache } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { DirectorySource } from '../../src/source/dir-source.js';
import { manifestYaml } from '../helpers/manifests.js';

// A full read refuses a FIFO named like a manifest (source/not-a-file) and holds every deletion
// (README: never read as a removed manifest). A FIFO that appears in a watched directory is in no
// digest of the directory source: its sync named neither it nor a change, and the incremental read
// deleted the audiences of a file removed in the same burst, where a full read holds them
// (review 40, F-3).

const SETTINGS = { read: {}, defaultSandbox: 'prod' };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-review-fifo-'));
  await writeFile(path.join(dir, 'a.yaml'), manifestYaml('a'));
  await writeFile(path.join(dir, 'b.yaml'), manifestYaml('b'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('a FIFO new in the tree holds every deletion, as in a full read', async () => {
  const src = new DirectorySource(dir);
  const cache = new DesiredCache(SETTINGS);
  await cache.load(await src.sync(undefined, { full: true }), src, { full: true, reason: 'startup' });

  // One burst: b.yaml removed, a FIFO named like a manifest made.
  await rm(path.join(dir, 'b.yaml'));
  execFileSync('mkfifo', [path.join(dir, 'c.yaml')]);
  src.noteChanged(['b.yaml', 'c.yaml']);
  const loaded = await cache.load(await src.sync(), src, { full: false, reason: '' });

  const full = await loadRevision(dir, SETTINGS);
  expect(full.holdAllDeletions).toBe(true);
  expect(full.diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual(['c.yaml source/not-a-file']);
  expect(loaded.holdAllDeletions).toBe(true);
  expect(loaded).toEqual(full);
});

it('a FIFO in a new folder the watcher reports as the folder: the same', async () => {
  const src = new DirectorySource(dir);
  const cache = new DesiredCache(SETTINGS);
  const first = await src.sync(undefined, { full: true });
  await cache.load(first, src, { full: true, reason: 'startup' });

  await mkdir(path.join(dir, 'sub'));
  execFileSync('mkfifo', [path.join(dir, 'sub', 'c.yaml')]);
  src.noteChanged(['sub']);
  const next = await src.sync();
  // A change of the tree: the pass runs.
  expect(next.revision).not.toBe(first.revision);
  const loaded = await cache.load(next, src, { full: false, reason: '' });

  const full = await loadRevision(dir, SETTINGS);
  expect(full.diagnostics.map((d) => `${d.file} ${d.rule}`)).toEqual(['sub/c.yaml source/not-a-file']);
  expect(loaded.holdAllDeletions).toBe(true);
  expect(loaded).toEqual(full);
});
