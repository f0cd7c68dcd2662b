import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { benchManifest } from '../../bench/lib/generate.js';
import { startManifestLoader } from '../../src/manifest/load-isolated.js';
import { loadManifests } from '../../src/manifest/load.js';
import { loadManifestDir } from '../../src/manifest/read-source.js';

// The built parser thread (`npm run build`), as the CLI starts it.
const workerUrl = new URL('../../dist/manifest/parse-worker.js', import.meta.url);
const root = mkdtempSync(path.join(os.tmpdir(), 'parse-worker-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the parser thread', () => {
  it('loads the full parser for the files that need it and gives what parsing here gives', async () => {
    for (let i = 0; i < 40; i += 1) writeFileSync(path.join(root, `m${i}.yaml`), stringify(benchManifest(i)));
    // Past the first chunk: an anchor, two documents, broken YAML, a schema error.
    const ordinary = stringify(benchManifest(100));
    writeFileSync(
      path.join(root, 'x1.yaml'),
      ordinary.replace('name: audience-100', 'name: &n audience-100'),
    );
    writeFileSync(
      path.join(root, 'x2.yaml'),
      `${stringify(benchManifest(101))}---\n${stringify(benchManifest(102))}`,
    );
    writeFileSync(path.join(root, 'x3.yaml'), 'apiVersion: audiencectl/v1\nkind: [\n');
    writeFileSync(
      path.join(root, 'x4.yaml'),
      stringify(benchManifest(103)).replace(/ttlInDays: \d+/, 'ttlInDays: 300'),
    );

    const threaded = await loadManifestDir(root, { defaultSandbox: 'prod', workerUrl, workers: 1 });
    const here = await loadManifestDir(root, { defaultSandbox: 'prod', workerUrl: undefined });
    expect(threaded.result).toEqual(here.result);
    expect(threaded.result.manifests).toHaveLength(43);
    expect(threaded.result.failedFiles).toEqual(['x3.yaml', 'x4.yaml']);
  });

  it('with this thread parsing part of a large source (validate), gives what parsing here gives', async () => {
    const texts = Array.from({ length: 700 }, (_, i) => {
      const text = stringify(benchManifest(i));
      if (i % 97 === 5) return text.replace(`name: audience-${i}`, `name: &n audience-${i}`);
      if (i % 89 === 7) return text.replace(/ttlInDays: \d+/, 'ttlInDays: 300');
      return text;
    });
    const files = texts.map((text, i) => ({ path: `m${i}.yaml`, text }));
    const loader = startManifestLoader({ workerUrl, workers: 1 });
    for (const file of files) loader.accept(file);
    const threaded = await loader.load(files, { defaultSandbox: 'prod' });
    expect(threaded).toEqual(loadManifests(files, { defaultSandbox: 'prod' }));
    expect(threaded.failedFiles).toHaveLength(8);
  });
});
