import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCacheBytesSync } from '../../src/cache/cache-file.js';
import { statListing } from '../../src/manifest/read-dir.js';
import { startFactScan } from '../../src/scan/fact-scan.js';
import { statRecords } from '../../src/state/record-names.js';

// The built thread (`npm run build`), as `plan` starts it.
const workerUrl = new URL('../../dist/scan/scan-worker.js', import.meta.url);
const root = mkdtempSync(path.join(os.tmpdir(), 'fact-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A source, a state store and a manifest cache (any text with a header line is a cache file's bytes). */
function layout(name: string) {
  const manifests = path.join(root, name, 'manifests');
  const dir = path.join(root, name, 'state');
  const cacheFile = path.join(dir, 'manifest-cache.jsonl');
  write(path.join(manifests, 'a.yaml'), 'a: 1\n');
  write(cacheFile, `{"h":1}\n${'line é\n'.repeat(100_000)}`);
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
    expect(manifestCache).toEqual(loadCacheBytesSync(cacheFile));
    expect(manifestCache!.end).toBe(7);
    const here = statListing(manifests, options);
    expect(listing!.found).toEqual(here.found);
    expect(listing!.found.map((f) => f.relative)).toEqual(['a.yaml']);
    expect([...listing!.facts]).toEqual([...here.facts]);
    expect(listing!.facts[0]).toBe(5);
    expect(records!.ids).toEqual([
      ['dev', 'k3'],
      ['prod', 'k1'],
    ]);
    expect([...records!.facts]).toEqual([...statRecords(dir).facts]);
    expect([records!.facts[0], records!.facts[4]]).toEqual([7, 2]);
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
    expect(await scan.manifestCache).toEqual(loadCacheBytesSync(cacheFile));
  });

  it('leaves the facts to the caller and reads the cache here when the thread cannot start', async () => {
    const { manifests, dir, cacheFile } = layout('dead');
    const missing = new URL('../../dist/scan/no-such-worker.js', import.meta.url);
    const scan = startFactScan(
      { manifests: { root: manifests, options: {}, cacheFile }, stateDir: dir },
      missing,
    )!;
    expect(await Promise.all([scan.manifests, scan.records])).toEqual([undefined, undefined]);
    expect(await scan.manifestCache).toEqual(loadCacheBytesSync(cacheFile));
  });

  it('settles the records at once when there is no state directory to scan', async () => {
    const { manifests, cacheFile } = layout('no-state');
    const scan = startFactScan({ manifests: { root: manifests, options: {}, cacheFile } }, workerUrl)!;
    expect(await scan.records).toBeUndefined();
    expect((await scan.manifests)!.found.map((f) => f.relative)).toEqual(['a.yaml']);
  });

  it('starts no thread from the sources (no worker script)', () => {
    const { manifests, cacheFile } = layout('sources');
    expect(startFactScan({ manifests: { root: manifests, options: {}, cacheFile } })).toBeUndefined();
  });
});
