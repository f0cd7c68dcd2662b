import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesiredCache, type ManifestReader } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { readManifestFile } from '../../src/manifest/read-dir.js';
import { GitSource } from '../../src/source/git-source.js';
import { manifestYaml } from '../helpers/manifests.js';
import { createGitFixture, git, type GitFixture } from '../source/helpers/git-fixture.js';
import { runs } from '../helpers/property-runs.js';

// Manifests live under audiences/; skip/ is excluded; other/ is outside the path.
const SETTINGS = { read: { exclude: ['skip/**'] }, defaultSandbox: 'prod' };
const PATHS = [
  'audiences/a.yaml',
  'audiences/b.yml',
  'audiences/nested/c.yaml',
  'audiences/nested/deep/d.yaml',
  'audiences/skip/e.yaml',
  'audiences/node_modules/f.yaml',
  'audiences/notes.txt',
  'other/g.yaml',
];
/** What the test expects a full read to read (include *.yaml/*.yml, exclude skip/, no node_modules). */
const inScope = (file: string): boolean =>
  file.startsWith('audiences/') &&
  /\.ya?ml$/.test(file) &&
  !file.startsWith('audiences/skip/') &&
  !file.includes('/node_modules/');

const NAMES = ['gold', 'silver', 'bronze'];
const content = fc.oneof(
  fc
    .tuple(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 3 }))
    .map(([name, n]) => manifestYaml(name, { spec: { description: `edit ${n}` } })),
  // Valid YAML that breaks a rule: the audience is held.
  fc.constantFrom(...NAMES).map((name) => manifestYaml(name, { spec: { ttlInDays: 500 } })),
  // Broken YAML: nothing can be told about its audiences.
  fc.constant('apiVersion: audiencectl/v1\nkind: [ExternalAudience\n'),
  // Not ours: skipped with a note.
  fc.constant('name: ci\non: push\n'),
);
type Op =
  | { kind: 'write'; file: string; text: string }
  | { kind: 'delete'; file: string }
  | { kind: 'rename'; from: string; to: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), file: fc.constantFrom(...PATHS), text: content }),
  fc.record({ kind: fc.constant('delete' as const), file: fc.constantFrom(...PATHS) }),
  fc.record({
    kind: fc.constant('rename' as const),
    from: fc.constantFrom(...PATHS),
    to: fc.constantFrom(...PATHS),
  }),
);

let fx: GitFixture;
/** The files of the branch tip, as the test wrote them. */
const model = new Map<string, string>();

beforeEach(async () => {
  fx = await createGitFixture();
  await fx.commit({ 'audiences/a.yaml': manifestYaml('gold'), 'README.md': 'x\n' });
  model.clear();
  model.set('audiences/a.yaml', manifestYaml('gold'));
});
afterEach(() => fx.cleanup());

/** Applies the ops to the model and commits the difference; returns the in-scope files whose content changed. */
async function commit(ops: readonly Op[]): Promise<string[]> {
  const before = new Map(model);
  for (const step of ops) {
    if (step.kind === 'write') model.set(step.file, step.text);
    else if (step.kind === 'delete') model.delete(step.file);
    else if (model.has(step.from) && step.from !== step.to) {
      model.set(step.to, model.get(step.from)!);
      model.delete(step.from);
    }
  }
  const files: Record<string, string | null> = {};
  for (const file of new Set([...before.keys(), ...model.keys()])) {
    if (before.get(file) !== model.get(file)) files[file] = model.get(file) ?? null;
  }
  // Never empty the tree: audiences/ must exist for the source.
  if (![...model.keys()].some((file) => file.startsWith('audiences/'))) {
    model.set('audiences/a.yaml', manifestYaml('gold'));
    files['audiences/a.yaml'] = model.get('audiences/a.yaml')!;
  }
  await fx.commit(files);
  return Object.keys(files)
    .filter((file) => inScope(file) && model.has(file) && before.get(file) !== model.get(file))
    .map((file) => file.slice('audiences/'.length))
    .sort();
}

function countingCache(): { cache: DesiredCache; reads: string[] } {
  const reads: string[] = [];
  const readFile: ManifestReader = (relative, absolute, max) => {
    reads.push(relative);
    return readManifestFile(relative, absolute, max);
  };
  return { cache: new DesiredCache({ ...SETTINGS, readFile }), reads };
}

function source(workDir: string): GitSource {
  return new GitSource({ url: fx.bare, branch: 'main', path: 'audiences', workDir, allowFileUrls: true });
}

const incremental = { full: false, reason: '' };

describe('DesiredCache on a git source', () => {
  it('gives what a full read gives over random commits, reading only the files each diff touched', async () => {
    // One source for every run; each run starts with an empty cache (a full first read).
    const src = source(path.join(fx.root, 'work'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 3 }),
        async (commits) => {
          const { cache, reads } = countingCache();
          const first = await src.sync();
          expect(await cache.load(first, src, incremental)).toEqual(await loadRevision(first.dir, SETTINGS));
          expect(cache.last).toMatchObject({ mode: 'full', reason: 'first read' });
          for (const ops of commits) {
            const changed = await commit(ops);
            const revision = await src.sync();
            reads.length = 0;
            const loaded = await cache.load(revision, src, incremental);
            expect(cache.last).toMatchObject({ mode: 'incremental', revision: revision.revision });
            expect(reads.sort()).toEqual(changed);
            expect(loaded).toEqual(await loadRevision(revision.dir, SETTINGS));
          }
        },
      ),
      { numRuns: runs(3) },
    );
    await src.close();
  });

  it('reads everything again after a force-push, and on a resync', async () => {
    const src = source(path.join(fx.root, 'work-force'));
    const { cache, reads } = countingCache();
    await fx.commit({
      'audiences/x.yaml': manifestYaml('xenon'),
      'audiences/y.yaml': manifestYaml('yttrium'),
    });
    await cache.load(await src.sync(), src, incremental);

    const clone = path.join(fx.root, 'clone');
    await git(clone, 'reset', '--quiet', '--hard', 'HEAD~1');
    await fx.commit({ 'audiences/z.yaml': manifestYaml('zinc') }, { message: 'rewritten' });
    const rewritten = await src.sync();
    const loaded = await cache.load(rewritten, src, incremental);
    expect(cache.last).toMatchObject({ mode: 'full', reason: 'changes unknown' });
    expect(loaded).toEqual(await loadRevision(rewritten.dir, SETTINGS));
    expect(loaded.manifests.map((m) => m.key)).toContain('zinc');
    expect(loaded.manifests.map((m) => m.key)).not.toContain('xenon');

    await cache.load(rewritten, src, { full: true, reason: 'resync' });
    expect(cache.last).toMatchObject({ mode: 'full', reason: 'resync' });
    expect(cache.last?.read).toContain('z.yaml');
    // The full read goes through the directory reader, not the per-file one.
    expect(reads).toEqual([]);
    await src.close();
  });

  it('never reads a file git says was modified, but missing on disk, as removed', async () => {
    const src = source(path.join(fx.root, 'work-missing'));
    const { cache } = countingCache();
    await fx.commit({
      'audiences/x.yaml': manifestYaml('xenon'),
      'audiences/y.yaml': manifestYaml('yttrium'),
    });
    await cache.load(await src.sync(), src, incremental);
    const keys = (loaded: { manifests: Array<{ key: string }> }) => loaded.manifests.map((m) => m.key).sort();

    // Another process sharing the work dir moved this revision's checkout away mid-pass:
    // git's diff says M for y.yaml, and nothing is on disk.
    await fx.commit({ 'audiences/y.yaml': manifestYaml('yttrium', { spec: { description: 'edited' } }) });
    const moved = await src.sync();
    await rename(moved.top!, `${moved.top!}-moved`);
    const failed = await cache.load(moved, src, incremental).then(
      (loaded) => keys(loaded),
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(Error);
    await rename(`${moved.top!}-moved`, moved.top!);

    // The checkout is there but the modified file is not: the full read's result, not the cache's.
    await fx.commit({ 'audiences/y.yaml': manifestYaml('yttrium', { spec: { description: 'again' } }) });
    const half = await src.sync();
    await cache.load(half, src, { full: true, reason: 'resync' });
    await fx.commit({ 'audiences/y.yaml': manifestYaml('yttrium', { spec: { description: 'third' } }) });
    const next = await src.sync();
    await rm(path.join(next.dir, 'y.yaml'));
    const loaded = await cache.load(next, src, incremental);
    expect(cache.last).toMatchObject({ mode: 'full', reason: 'a changed file is missing from the tree' });
    expect(loaded).toEqual(await loadRevision(next.dir, SETTINGS));

    // git's own D status still removes incrementally: the property above.
    await src.close();
  });
});
