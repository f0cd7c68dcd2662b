import { rm } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesiredCache, type ManifestReader } from '../../src/daemon/desired-cache.js';
import { loadRevision } from '../../src/daemon/pass.js';
import { readManifestFile } from '../../src/manifest/read-dir.js';
import { GitSource } from '../../src/source/git-source.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';
import { runs } from '../helpers/property-runs.js';
import { createGitFixture, git, type GitFixture } from '../source/helpers/git-fixture.js';

// The default selection (no filters): files it leaves out are said (source/not-selected), and a
// folder of manifests may become a git submodule (review 34c: an incremental read gave neither
// the warnings nor the held audiences a full read of the same commit gives).
const SETTINGS = { read: {}, defaultSandbox: 'prod' };
const SUBMODULE = 'audiences/nested';
const PATHS = [
  'audiences/a.yaml',
  'audiences/nested/c.yaml',
  'audiences/nested/d.yml',
  'audiences/x.YAML',
  'audiences/.h.yaml',
  'audiences/.hidden/i.yaml',
  'audiences/notes.txt',
];
/** Read by the default selection: `.yaml`/`.yml` in lower case, no dot on the path. */
const inScope = (file: string): boolean =>
  file.startsWith('audiences/') && /\.ya?ml$/.test(file) && !file.split('/').some((s) => s.startsWith('.'));
/** Said not read by a full read: another case of `.yaml`, or a dot with a manifest in it. */
const saidLeftOut = (file: string, text: string): boolean =>
  file === 'audiences/x.YAML' ||
  (file.split('/').some((s) => s.startsWith('.')) && text.startsWith('apiVersion: audiencectl/'));

const NAMES = ['gold', 'silver', 'bronze'];
const content = fc.oneof(
  fc
    .tuple(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 3 }))
    .map(([name, n]) => manifestYaml(name, { spec: { description: `edit ${n}` } })),
  fc.constant('apiVersion: audiencectl/v1\nkind: [ExternalAudience\n'),
  // Not ours: never said, even in a dot folder.
  fc.constant('name: ci\non: push\n'),
);
type Op =
  | { kind: 'write'; file: string; text: string }
  | { kind: 'delete'; file: string }
  | { kind: 'rename'; from: string; to: string }
  /** audiences/nested becomes a submodule (its files removed), or the submodule is removed. */
  | { kind: 'submodule' };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), file: fc.constantFrom(...PATHS), text: content }),
  fc.record({ kind: fc.constant('delete' as const), file: fc.constantFrom(...PATHS) }),
  fc.record({
    kind: fc.constant('rename' as const),
    from: fc.constantFrom(...PATHS),
    to: fc.constantFrom(...PATHS),
  }),
  fc.constant({ kind: 'submodule' as const }),
);

let fx: GitFixture;
let clone: string;
let shared: string;
/** The files of the branch tip, as the test wrote them, and whether audiences/nested is a submodule. */
const model = new Map<string, string>();
let submodule = false;

beforeEach(async () => {
  fx = await createGitFixture();
  clone = path.join(fx.root, 'clone');
  shared = (await gitRepository(fx.root, { 'c.yaml': manifestYaml('gold') }, 'shared')).repo;
  await fx.commit({ 'audiences/a.yaml': manifestYaml('gold'), 'README.md': 'x\n' });
  model.clear();
  model.set('audiences/a.yaml', manifestYaml('gold'));
  submodule = false;
});
afterEach(() => fx.cleanup());

const inSubmodule = (file: string) => file.startsWith(`${SUBMODULE}/`);

/** Whether a full read of the model warns about the tree: a submodule, a file it says is left out. */
function warned(files: ReadonlyMap<string, string>, withSubmodule: boolean): boolean {
  return withSubmodule || [...files].some(([file, text]) => saidLeftOut(file, text));
}

/** Turns audiences/nested into a submodule (its files removed), or removes the submodule, staged. */
async function toggleSubmodule(): Promise<void> {
  if (submodule) {
    await git(clone, 'rm', '--quiet', SUBMODULE);
    await rm(path.join(clone, '.git', 'modules', SUBMODULE), { recursive: true, force: true });
  } else {
    await git(clone, 'rm', '-r', '--quiet', '--ignore-unmatch', SUBMODULE);
    await rm(path.join(clone, SUBMODULE), { recursive: true, force: true });
    await git(clone, '-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', shared, SUBMODULE);
  }
}

/**
 * Applies the ops to the model and commits the difference; returns the in-scope files whose
 * content changed, and whether a full read warns about the tree before and after.
 */
async function commit(ops: readonly Op[]): Promise<{ changed: string[]; warned: boolean }> {
  const before = new Map(model);
  const wasSubmodule = submodule;
  let isSubmodule = submodule;
  for (const step of ops) {
    if (step.kind === 'submodule') {
      isSubmodule = !isSubmodule;
      for (const file of [...model.keys()]) if (inSubmodule(file)) model.delete(file);
    } else if (step.kind === 'write') {
      if (!(isSubmodule && inSubmodule(step.file))) model.set(step.file, step.text);
    } else if (step.kind === 'delete') model.delete(step.file);
    else if (model.has(step.from) && step.from !== step.to && !(isSubmodule && inSubmodule(step.to))) {
      model.set(step.to, model.get(step.from)!);
      model.delete(step.from);
    }
  }
  // Never empty the tree: audiences/ must hold a file for the source.
  if (![...model.keys()].some((file) => file.startsWith('audiences/')))
    model.set('audiences/a.yaml', manifestYaml('gold'));
  if (isSubmodule !== wasSubmodule) {
    await toggleSubmodule();
    submodule = isSubmodule;
  }
  const files: Record<string, string | null> = {};
  for (const file of new Set([...before.keys(), ...model.keys()])) {
    // The submodule's removal of the folder's files is git rm's.
    if (isSubmodule !== wasSubmodule && isSubmodule && inSubmodule(file)) continue;
    if (before.get(file) !== model.get(file)) files[file] = model.get(file) ?? null;
  }
  await fx.commit(files);
  const changed = [...new Set([...before.keys(), ...model.keys()])]
    .filter((file) => inScope(file) && model.has(file) && before.get(file) !== model.get(file))
    .map((file) => file.slice('audiences/'.length))
    .sort();
  return { changed, warned: warned(before, wasSubmodule) || warned(model, isSubmodule) };
}

function countingCache(): { cache: DesiredCache; reads: string[] } {
  const reads: string[] = [];
  const readFile: ManifestReader = (relative, absolute, max) => {
    reads.push(relative);
    return readManifestFile(relative, absolute, max);
  };
  return { cache: new DesiredCache({ ...SETTINGS, readFile }), reads };
}

const incremental = { full: false, reason: '' };

describe('DesiredCache on a git source, with the default selection', () => {
  it('gives what a full read gives (warnings, submodules) over random commits; incremental unless a full read warns', async () => {
    const src = new GitSource({
      url: fx.bare,
      branch: 'main',
      path: 'audiences',
      workDir: path.join(fx.root, 'work'),
      allowFileUrls: true,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 4 }),
        async (commits) => {
          const { cache, reads } = countingCache();
          const first = await src.sync();
          expect(await cache.load(first, src, incremental)).toEqual(
            await loadRevision(first.dir, SETTINGS, first.top),
          );
          for (const ops of commits) {
            const { changed, warned } = await commit(ops);
            const revision = await src.sync();
            reads.length = 0;
            const loaded = await cache.load(revision, src, incremental);
            expect(loaded).toEqual(await loadRevision(revision.dir, SETTINGS, revision.top));
            expect(cache.last?.mode).toBe(warned ? 'full' : 'incremental');
            if (!warned) expect(reads.sort()).toEqual(changed);
          }
        },
      ),
      { numRuns: runs(4) },
    );
    await src.close();
  });
});
