import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFactScan } from '../../src/scan/fact-scan.js';
import { dropScanThread, prestartScanThread, takeScanThread } from '../../src/scan/prestart.js';

// The built thread (`npm run build`), as `plan` starts it.
const workerUrl = new URL('../../dist/scan/scan-worker.js', import.meta.url);
const root = mkdtempSync(path.join(os.tmpdir(), 'fact-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const CACHE_BODY = 'line é\n'.repeat(100_000);

/** What the thread sends of the cache file `layout` writes: its bytes, where its header ends, its body's SHA-1. */
const CACHE_BYTES = {
  bytes: Buffer.from(`{"h":1}\n${CACHE_BODY}`),
  end: 7,
  digest: createHash('sha1').update(CACHE_BODY).digest('hex'),
};

/**
 * The cache file's bytes as `layout` wrote them. Buffer.equals for the bytes: toEqual would
 * compare their 700 kB one element at a time (seconds of CPU per case).
 */
function expectCacheBytes(actual: { bytes: Buffer; end: number; digest: string } | undefined): void {
  const { bytes, ...rest } = actual ?? { bytes: Buffer.alloc(0) };
  expect(rest).toEqual({ end: CACHE_BYTES.end, digest: CACHE_BYTES.digest });
  expect(bytes.equals(CACHE_BYTES.bytes)).toBe(true);
}

/** A source, a state store and a manifest cache (any text with a header line is a cache file's bytes). */
function layout(name: string) {
  const manifests = path.join(root, name, 'manifests');
  const dir = path.join(root, name, 'state');
  const cacheFile = path.join(dir, 'manifest-cache.jsonl');
  write(path.join(manifests, 'a.yaml'), 'a: 1\n');
  write(cacheFile, `{"h":1}\n${CACHE_BODY}`);
  return { manifests, dir, cacheFile };
}

describe('the fact scan thread', () => {
  it('sends the cache, the listing and the facts this thread would take, manifests and records', async () => {
    const { manifests, dir, cacheFile } = layout('ok');
    write(path.join(manifests, 'sub', 'b.yml'), 'b: 2\n');
    write(path.join(manifests, 'notes.txt'), 'not listed\n');
    write(path.join(dir, 'audiences', 'prod', 'k1.json'), '{}');
    write(path.join(dir, 'audiences', 'prod', '.k2.json.tmp'), '{}');
    write(path.join(dir, 'audiences', 'dev', 'k3.json'), '{"x":1}');
    const options = { exclude: ['sub/**'] };
    const scan = startFactScan(
      { manifests: { root: manifests, options, cacheFile }, stateDir: dir },
      workerUrl,
    )!;
    const [manifestCache, listing, records] = await Promise.all([
      scan.manifestCache,
      scan.manifests,
      scan.records,
    ]);
    expectCacheBytes(manifestCache);
    const a = path.join(manifests, 'a.yaml');
    expect(listing!.found).toEqual([{ relative: 'a.yaml', absolute: a }]);
    const aStat = statSync(a);
    expect([...listing!.facts]).toEqual([5, aStat.mtimeMs, aStat.ctimeMs, aStat.ino]);
    expect(records!.ids).toEqual([
      ['dev', 'k3'],
      ['prod', 'k1'],
    ]);
    const recordFacts = (file: string, size: number) => {
      const info = statSync(path.join(dir, 'audiences', file));
      return [size, info.mtimeMs, info.ctimeMs, info.ino];
    };
    expect([...records!.facts]).toEqual([
      ...recordFacts('dev/k3.json', 7),
      ...recordFacts('prod/k1.json', 2),
    ]);
  });

  it('sends nothing for a part it could not take, and still sends the others', async () => {
    const { manifests, dir, cacheFile } = layout('bad');
    // A file where the sandbox folders belong: listing them fails.
    write(path.join(dir, 'audiences'), 'not a folder');
    const scan = startFactScan(
      { manifests: { root: manifests, options: {}, cacheFile }, stateDir: dir },
      workerUrl,
    )!;
    expect(await scan.records).toBeUndefined();
    expect((await scan.manifests)!.found.map((f) => f.relative)).toEqual(['a.yaml']);
    expectCacheBytes(await scan.manifestCache);
  });

  it('leaves the facts to the caller and reads the cache here when the thread cannot start', async () => {
    const { manifests, dir, cacheFile } = layout('dead');
    const missing = new URL('../../dist/scan/no-such-worker.js', import.meta.url);
    const scan = startFactScan(
      { manifests: { root: manifests, options: {}, cacheFile }, stateDir: dir },
      missing,
    )!;
    expect(await Promise.all([scan.manifests, scan.records])).toEqual([undefined, undefined]);
    expectCacheBytes(await scan.manifestCache);
  });

  it('is none when the thread cannot even be made (the caller reads, lists and stats itself)', () => {
    const { manifests, dir, cacheFile } = layout('unmade');
    // A URL no thread can load: the Worker constructor throws, as it does when no thread is to be had.
    const unloadable = new URL('http://localhost/scan-worker.js');
    const request = { manifests: { root: manifests, options: {}, cacheFile }, stateDir: dir };
    expect(startFactScan(request, unloadable)).toBeUndefined();
  });

  it('settles the records at once when there is no state directory to scan', async () => {
    const { manifests, cacheFile } = layout('no-state');
    const scan = startFactScan({ manifests: { root: manifests, options: {}, cacheFile } }, workerUrl)!;
    expect(await scan.records).toBeUndefined();
    expect((await scan.manifests)!.found.map((f) => f.relative)).toEqual(['a.yaml']);
  });

  it('takes the thread started ahead (before the plan knew its request), once', async () => {
    const { manifests, dir, cacheFile } = layout('ahead');
    prestartScanThread(workerUrl);
    const scan = startFactScan(
      { manifests: { root: manifests, options: {}, cacheFile }, stateDir: dir },
      workerUrl,
    )!;
    // Taken by the scan: nothing is left to take.
    expect(takeScanThread(workerUrl)).toBeUndefined();
    expectCacheBytes(await scan.manifestCache);
    expect((await scan.manifests)!.found.map((f) => f.relative)).toEqual(['a.yaml']);
    expect((await scan.records)!.ids).toEqual([]);
  });

  it('does without a thread started ahead that died, or that the plan ends unused', async () => {
    const { manifests, dir, cacheFile } = layout('ahead-dead');
    const missing = new URL('../../dist/scan/no-such-worker.js', import.meta.url);
    prestartScanThread(missing);
    const scan = startFactScan(
      { manifests: { root: manifests, options: {}, cacheFile }, stateDir: dir },
      missing,
    )!;
    expect(await Promise.all([scan.manifests, scan.records])).toEqual([undefined, undefined]);
    expectCacheBytes(await scan.manifestCache);
    prestartScanThread(workerUrl);
    dropScanThread();
    expect(takeScanThread(workerUrl)).toBeUndefined();
  });

  it('starts no thread from the sources (no worker script)', () => {
    const { manifests, cacheFile } = layout('sources');
    expect(startFactScan({ manifests: { root: manifests, options: {}, cacheFile } })).toBeUndefined();
  });
});
