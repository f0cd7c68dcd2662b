import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadCacheBytes } from '../../src/cache/cache-file.js';
import { loadManifests } from '../../src/manifest/load.js';
import { readManifestDir, statListing } from '../../src/manifest/read-dir.js';
import { loadManifestDir } from '../../src/manifest/read-source.js';
import { isFresh, RACY_MARGIN_MS } from '../../src/manifest/read-cache.js';
import { plan } from '../../src/plan/plan.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { appliedState, EMPTY, options } from '../helpers/planning.js';
import { knownSpecHash, specName } from '../../src/manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function tempRoot(): { source: string; cacheFile: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'manifest-cache-'));
  roots.push(root);
  mkdirSync(path.join(root, 'src'));
  return { source: path.join(root, 'src'), cacheFile: path.join(root, 'manifest-cache.jsonl') };
}

const NAMES = ['a.yaml', 'b.yaml', 'sub/c.yaml', 'sub/d.yml'];
const permissive = options({ allowReplace: true, allowMassDelete: true, allowEmptySource: true });

/**
 * What a file can hold: a manifest (keys may collide across files), broken YAML, an invalid
 * manifest, someone else's YAML, no document at all (emptied, comments only, `---` only).
 */
const contentArb = fc.oneof(
  fc.constantFrom('k1', 'k2', 'k3').chain((key) => manifestArb(key).map((m) => stringify(m))),
  // Another key, the same spec.name (as the service compares names): a duplicate, which the cache names.
  fc
    .constantFrom('k1', 'k2', 'k3')
    .chain((key) => manifestArb(key).map((m) => stringify({ ...m, spec: { ...m.spec, name: ' Shared ' } }))),
  fc.constantFrom(
    'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata: {name: k1\n',
    'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata: {name: k2}\nspec: {name: 1}\n',
    'apiVersion: v2\nname: chart\n',
    'a: &x 1\nb: *x\n',
    '',
    '# generated\n',
    '---\n',
  ),
);

type Op =
  | { kind: 'write'; name: string; text: string }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'delete'; name: string }
  | { kind: 'touch'; name: string }
  | { kind: 'same-size'; name: string; key: string }
  | { kind: 'same-size-kept-time'; name: string; key: string }
  | { kind: 'corrupt'; at: number };

const nameArb = fc.constantFrom(...NAMES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('write' as const), name: nameArb, text: contentArb }),
  },
  fc.record({ kind: fc.constant('rename' as const), from: nameArb, to: nameArb }),
  fc.record({ kind: fc.constant('delete' as const), name: nameArb }),
  fc.record({ kind: fc.constant('touch' as const), name: nameArb }),
  // An edit that keeps the size: only the modification time (or the content) tells.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('same-size' as const),
      name: nameArb,
      key: fc.constantFrom('k1', 'k2', 'k3'),
    }),
  },
  // The same, in place, with the modification time set back (cp -p, rsync -t, touch -r):
  // only the change time (which nothing sets back) tells.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('same-size-kept-time' as const),
      name: nameArb,
      key: fc.constantFrom('k1', 'k2', 'k3'),
    }),
  },
  fc.record({ kind: fc.constant('corrupt' as const), at: fc.nat() }),
);

/**
 * Rewrites `file` in place with its keys changed to `key` (the same size), keeping its times.
 * Its change time moves on (setting the times again until it does: a rewrite within the
 * clock tick of the last change is the racy case, which plans run a while later never see).
 */
function rewriteKeepingTimes(file: string, key: string): void {
  const { atime, mtime, ctimeMs } = statSync(file);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/k[123]/g, key));
  do utimesSync(file, atime, mtime);
  while (statSync(file).ctimeMs === ctimeMs);
}

/**
 * Files get modification times one second apart, an hour ago: old enough for the
 * cache to trust its facts (not "racily clean"), as for files edited a while before a plan.
 */
let clock = Date.now() - 3_600_000;
function stamp(file: string): void {
  clock += 1_000;
  utimesSync(file, clock / 1000, clock / 1000);
}

function apply(op: Op, source: string, cacheFile: string): void {
  const at = (name: string) => path.join(source, name);
  try {
    if (op.kind === 'write') {
      mkdirSync(path.dirname(at(op.name)), { recursive: true });
      writeFileSync(at(op.name), op.text);
      stamp(at(op.name));
    } else if (op.kind === 'rename') {
      renameSync(at(op.from), at(op.to));
    } else if (op.kind === 'delete') {
      rmSync(at(op.name));
    } else if (op.kind === 'same-size') {
      writeFileSync(at(op.name), readFileSync(at(op.name), 'utf8').replace(/k[123]/g, op.key));
      stamp(at(op.name));
    } else if (op.kind === 'same-size-kept-time') {
      rewriteKeepingTimes(at(op.name), op.key);
    } else if (op.kind === 'touch') {
      stamp(at(op.name));
    } else {
      const text = readFileSync(cacheFile, 'utf8');
      writeFileSync(cacheFile, text.slice(0, op.at % (text.length + 1)) + 'x\t1\t2\n');
    }
  } catch {
    // The file was not there: the operation is a no-op.
  }
}

/**
 * Makes the cache in `cacheFile` one a plan run a minute later would have written: a file's
 * change time is when it was written, which no utimes sets back, and one changed less than
 * 2 s before the listing that cached it is "racily clean" (read again, never served). The
 * header's `scannedAt` (the listing's start) moves on; its digest is of the lines after it.
 * A cache that is not one (a damaged one, none) is left as it is.
 */
function writtenLater(cacheFile: string): void {
  let text: string;
  try {
    text = readFileSync(cacheFile, 'utf8');
  } catch {
    return;
  }
  const end = text.indexOf('\n');
  try {
    const header = JSON.parse(text.slice(0, end)) as { scannedAt: number };
    header.scannedAt += 60_000;
    writeFileSync(cacheFile, JSON.stringify(header) + text.slice(end));
  } catch {
    // Not a cache: nothing to move.
  }
}

/** Loads and saves the cache as a plan run a while after the files were written (the next load serves them). */
async function saveCacheLater(source: string, cacheFile: string): Promise<void> {
  await (await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile })).saveCache();
  writtenLater(cacheFile);
}

/** The reference: every file read and parsed, as `loadManifests` does, without the cache. */
async function uncached(source: string) {
  const read = await readManifestDir(source);
  const loaded = loadManifests(read.files, { defaultSandbox: 'prod' });
  loaded.diagnostics.unshift(...read.diagnostics);
  return loaded;
}

describe('the manifest cache', () => {
  it('gives the same load and plan as no cache, through edits, renames, deletions, invalid files and a damaged cache', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const { source, cacheFile } = tempRoot();
        // The state of having applied the previous step's manifests: most audiences are
        // unchanged, which the plan tells by the (cached) spec hash, and some changed.
        let recorded = EMPTY;
        for (const op of ops) {
          apply(op, source, cacheFile);
          const cached = await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile });
          await cached.saveCache();
          writtenLater(cacheFile);
          const reference = await uncached(source);
          for (const { manifest } of cached.result.manifests) {
            const known = knownSpecHash(manifest);
            if (known !== undefined) expect(known).toBe(specHash(normaliseSpec(manifest.spec)));
            expect(specName(manifest)).toBe(manifest.spec.name);
          }
          expect(cached.result).toEqual(reference);
          // In the same key order too: a saved plan records a digest of the manifests' JSON.
          expect(JSON.stringify(cached.result)).toBe(JSON.stringify(reference));
          // With the files listed and stat-ed first, as the fact scan's thread does, and the
          // cache read and hashed by the thread pool, as a plan does.
          const listing = Promise.resolve(statListing(source));
          const cacheBytes = loadCacheBytes(cacheFile);
          const scanned = await loadManifestDir(source, {
            defaultSandbox: 'prod',
            cacheFile,
            listing,
            cacheBytes,
          });
          expect(JSON.stringify(scanned.result)).toBe(JSON.stringify(reference));
          for (const state of [EMPTY, recorded]) {
            const fresh = await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile });
            // The same files served by the cache, whoever took their facts.
            expect(scanned.cacheHits).toBe(fresh.cacheHits);
            expect(plan(fresh.result, state, permissive)).toEqual(plan(reference, state, permissive));
          }
          recorded = appliedState(reference);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('lists each file at the path path.join gives it, however the root is spelled', () => {
    const { source } = tempRoot();
    mkdirSync(path.join(source, 'sub', 'deeper'), { recursive: true });
    for (const name of ['a.yaml', 'sub/c.yaml', 'sub/deeper/e.yml'])
      writeFileSync(path.join(source, name), 'x: 1\n');
    const spellings = [source, `${source}${path.sep}`, path.join(source, 'sub', '..'), `${source}/./sub/..`];
    for (const root of [...spellings, path.relative(process.cwd(), source)]) {
      const { found } = statListing(root);
      expect(found.map((file) => file.relative)).toEqual(['a.yaml', 'sub/c.yaml', 'sub/deeper/e.yml']);
      for (const file of found) expect(file.absolute).toBe(path.join(root, file.relative));
    }
  });

  it('serves unchanged files without reading them, and reads a touched file without trusting its old content', async () => {
    const { source, cacheFile } = tempRoot();
    for (const key of ['k1', 'k2']) {
      writeFileSync(path.join(source, `${key}.yaml`), stringify(fc.sample(manifestArb(key), 1)[0]));
      stamp(path.join(source, `${key}.yaml`));
    }
    await saveCacheLater(source, cacheFile);
    expect((await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile })).cacheHits).toBe(2);
    stamp(path.join(source, 'k1.yaml'));
    expect((await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile })).cacheHits).toBe(1);
  });

  it('sees a same-size edit within the same modification time when the file is recent (racily clean)', async () => {
    const { source, cacheFile } = tempRoot();
    const file = path.join(source, 'k1.yaml');
    const text = stringify(fc.sample(manifestArb('k1'), 1)[0]);
    writeFileSync(file, text);
    const when = new Date();
    utimesSync(file, when, when);
    await (await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile })).saveCache();
    // Same size, same modification time, other content: only the content hash tells.
    writeFileSync(file, text.replace('k1', 'k9'));
    utimesSync(file, when, when);
    const load = await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile });
    expect(load.result.manifests.map((m) => m.key)).toEqual(['k9']);
  });

  it('sees an in-place same-size edit whose modification time was set back (cp -p, rsync -t, touch -r)', async () => {
    const { source, cacheFile } = tempRoot();
    const file = path.join(source, 'k1.yaml');
    writeFileSync(file, stringify(fc.sample(manifestArb('k1'), 1)[0]));
    stamp(file);
    await saveCacheLater(source, cacheFile);
    expect((await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile })).cacheHits).toBe(1);
    const before = statSync(file);
    rewriteKeepingTimes(file, 'k2');
    const after = statSync(file);
    // What the cache sees of the file besides its change time is as it was.
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    const load = await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile });
    expect(load.result.manifests.map((m) => m.key)).toEqual(['k2']);
    expect(load.cacheHits).toBe(0);
  });

  it('trusts facts only when the file was modified and changed well before the listing that cached them', () => {
    const scannedAt = Date.now();
    const old = scannedAt - 3_600_000;
    const facts = { size: 10, mtimeMs: old, ctimeMs: old, ino: 7 };
    const cached = { facts, hash: '-', line: '', bodyAt: 0 };
    expect(isFresh(cached, facts, scannedAt)).toBe(true);
    // Changed within the margin (a rewrite that set its modification time back, in the
    // same clock tick as the cached change time): racily clean, read again.
    const recent = { ...facts, ctimeMs: scannedAt - RACY_MARGIN_MS + 1 };
    expect(isFresh({ ...cached, facts: recent }, recent, scannedAt)).toBe(false);
    for (const changed of [{ ctimeMs: old + 1 }, { mtimeMs: old + 1 }, { ino: 8 }, { size: 11 }])
      expect(isFresh(cached, { ...facts, ...changed }, scannedAt)).toBe(false);
  });

  it('ignores a cache that is garbage, or written for another directory, and never fails to save', async () => {
    const { source, cacheFile } = tempRoot();
    writeFileSync(path.join(source, 'k1.yaml'), stringify(fc.sample(manifestArb('k1'), 1)[0]));
    for (const garbage of [
      '',
      '\0\0\0',
      '{"format":"audiencectl-manifest-cache/1"}\n"k1.yaml"\t1\t2\t3\tzz\t{}\n',
    ]) {
      writeFileSync(cacheFile, garbage);
      const load = await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile });
      expect(load.cacheHits).toBe(0);
      expect(load.result).toEqual(await uncached(source));
    }
    const other = tempRoot();
    await (await loadManifestDir(other.source, { defaultSandbox: 'prod', cacheFile })).saveCache();
    expect((await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile })).cacheHits).toBe(0);
    const unwritable = path.join(source, 'no-such-dir', 'cache.jsonl');
    expect(
      await (await loadManifestDir(source, { defaultSandbox: 'prod', cacheFile: unwritable })).saveCache(),
    ).toBe(false);
  });
});
