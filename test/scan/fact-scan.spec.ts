import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('the fact scan thread', () => {
  it('sends the listing and the facts this thread would take, manifests and records', async () => {
    const manifests = path.join(root, 'ok', 'manifests');
    const state = path.join(root, 'ok', 'state');
    write(path.join(manifests, 'a.yaml'), 'a: 1\n');
    write(path.join(manifests, 'sub', 'b.yml'), 'b: 2\n');
    write(path.join(manifests, 'notes.txt'), 'not listed\n');
    write(path.join(state, 'audiences', 'prod', 'k1.json'), '{}');
    write(path.join(state, 'audiences', 'prod', '.k2.json.tmp'), '{}');
    write(path.join(state, 'audiences', 'dev', 'k3.json'), '{"x":1}');
    const options = { exclude: ['sub/**'] };
    const scan = startFactScan({ manifests: { root: manifests, options }, stateDir: state }, workerUrl)!;
    const [listing, records] = await Promise.all([scan.manifests, scan.records]);
    const here = statListing(manifests, options);
    expect(listing!.found).toEqual(here.found);
    expect(listing!.found.map((f) => f.relative)).toEqual(['a.yaml']);
    expect([...listing!.facts]).toEqual([...here.facts]);
    expect(listing!.facts[0]).toBe(5);
    const recordsHere = statRecords(state);
    expect(records!.ids).toEqual([
      ['dev', 'k3'],
      ['prod', 'k1'],
    ]);
    expect([...records!.facts]).toEqual([...recordsHere.facts]);
    expect([records!.facts[0], records!.facts[4]]).toEqual([7, 2]);
  });

  it('sends nothing for a part it could not take, and still sends the other', async () => {
    const manifests = path.join(root, 'bad', 'manifests');
    const state = path.join(root, 'bad', 'state');
    write(path.join(manifests, 'a.yaml'), 'a: 1\n');
    // A file where the sandbox folders belong: listing them fails.
    write(path.join(state, 'audiences'), 'not a folder');
    const scan = startFactScan({ manifests: { root: manifests, options: {} }, stateDir: state }, workerUrl)!;
    expect(await scan.records).toBeUndefined();
    expect((await scan.manifests)!.found.map((f) => f.relative)).toEqual(['a.yaml']);
  });

  it('answers undefined for both parts when the thread cannot start', async () => {
    const missing = new URL('../../dist/scan/no-such-worker.js', import.meta.url);
    const scan = startFactScan({ manifests: { root, options: {} }, stateDir: root }, missing)!;
    expect(await Promise.all([scan.manifests, scan.records])).toEqual([undefined, undefined]);
  });

  it('starts no thread when there is nothing to scan', () => {
    expect(startFactScan({}, workerUrl)).toBeUndefined();
  });
});
