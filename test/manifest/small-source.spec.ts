import { describe, expect, it } from 'vitest';
import { IN_THREAD_MAX_FILES, startManifestLoader } from '../../src/manifest/load-isolated.js';
import type { SourceFile } from '../../src/manifest/load.js';

// A stand-in parser thread (it answers each file with a note naming the file), so a
// result shows whether a file went to a thread or was parsed here.
const workerUrl = new URL('./fixtures/echo-worker.mjs', import.meta.url);

const manifest = (name: string): string =>
  [
    'apiVersion: audiencectl/v1',
    'kind: ExternalAudience',
    `metadata: {name: ${name}}`,
    'spec:',
    `  name: ${name}`,
    '  originName: CUSTOM_UPLOAD',
    '  fields: [{name: email, type: string, identityNs: email}]',
    '  sourceSpec: {path: a.csv, type: file, sourceType: Cloud Storage, cloudType: DLZ}',
    '',
  ].join('\n');

async function load(files: SourceFile[]) {
  const loader = startManifestLoader({ workerUrl, workers: 1 });
  for (const file of files) loader.accept(file);
  return loader.load(files, { defaultSandbox: 'prod' });
}

describe('a small source', () => {
  it('parses ordinary files without a thread, and sends only the unusual one to a thread', async () => {
    const loaded = await load([
      { path: 'a.yaml', text: manifest('a') },
      // An anchor needs the full parser, which runs only in a thread.
      { path: 'b.yaml', text: `${manifest('b')}x: &anchor 1\n` },
    ]);
    expect(loaded.manifests.map((m) => m.key)).toEqual(['a']);
    expect(loaded.notes.map((n) => n.message)).toEqual(['b.yaml']);
  });

  it('sends every file to the threads once the source is larger', async () => {
    const count = IN_THREAD_MAX_FILES + 1;
    const files = Array.from({ length: count }, (_, i) => ({ path: `f${i}.yaml`, text: manifest(`m${i}`) }));
    const loaded = await load(files);
    expect(loaded.manifests).toEqual([]);
    expect(loaded.notes).toHaveLength(count);
  });

  it('in a large source, parses here the chunks no thread was sent, and sends the unusual files of those to a thread', async () => {
    const files = Array.from({ length: 640 }, (_, i) => ({
      path: `f${i}.yaml`,
      // Every seventh file has an anchor: the full parser, in a thread.
      text: i % 7 === 3 ? `${manifest(`m${i}`)}x: &anchor 1\n` : manifest(`m${i}`),
    }));
    const loaded = await load(files);
    const here = loaded.manifests.map((m) => m.file);
    const threaded = loaded.notes.map((n) => n.file);
    // Every file once, in one place or the other; the unusual ones in a thread.
    expect([...here, ...threaded].sort()).toEqual(files.map((f) => f.path).sort());
    expect(here.length).toBeGreaterThan(0);
    expect(threaded.length).toBeGreaterThan(0);
    for (const [i, file] of files.entries()) if (i % 7 === 3) expect(threaded).toContain(file.path);
  });
});
