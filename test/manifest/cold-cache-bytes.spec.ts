import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { benchManifest } from '../../bench/lib/generate.js';
import { loadManifestDir } from '../../src/manifest/read-source.js';

// The built parser thread (`npm run build`), as the CLI starts it.
const workerUrl = new URL('../../dist/manifest/parse-worker.js', import.meta.url);
const root = mkdtempSync(path.join(os.tmpdir(), 'cold-cache-bytes-'));
const source = path.join(root, 'src');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = 700;
/** The files' names, in the order a listing gives them. */
const names = Array.from({ length: FILES }, (_, i) => `m${String(i).padStart(4, '0')}.yaml`);

beforeAll(() => {
  mkdirSync(source);
  names.forEach((name, i) => {
    const file = path.join(source, name);
    // One with a character outside ASCII: its line's bytes are not its characters.
    const manifest = benchManifest(i);
    if (i === 300) manifest.spec.description = 'Übersicht — 概要';
    writeFileSync(file, stringify(manifest));
  });
});

/** The UTF-8 this thread encodes while `run` runs (Buffer's write: how cache batches are encoded). */
async function encodedHere<T>(run: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const write = vi.spyOn(Buffer.prototype, 'write');
  try {
    const value = await run();
    const bytes = write.mock.calls.reduce(
      (sum, [text]) => sum + (typeof text === 'string' ? Buffer.byteLength(text) : 0),
      0,
    );
    return { value, bytes };
  } finally {
    write.mockRestore();
  }
}

describe("a cold load's manifest cache", () => {
  it('is written from the bytes the parser thread sent, not encoded again here, and serves the next load whole', async () => {
    const cacheFile = path.join(root, `cache-${Date.now()}.jsonl`);
    const options = { defaultSandbox: 'prod', workerUrl, workers: 1, cacheFile };
    const cold = await loadManifestDir(source, options);
    expect(cold.cacheHits).toBe(0);
    const saved = await encodedHere(() => cold.saveCache());
    expect(saved.value).toBe(true);

    const text = readFileSync(cacheFile, 'utf8');
    const body = text.slice(text.indexOf('\n') + 1);
    const lines = body.split('\n');
    expect(lines.pop()).toBe('');
    // One line a file, in the listing's order, each starting with its path.
    expect(lines.map((line) => JSON.parse(line.slice(0, line.indexOf('\t'))) as string)).toEqual(names);
    // The parser thread's chunks come as its bytes; the chunks this thread parsed were
    // encoded as it parsed them, while the thread parsed others: none is encoded here, on
    // the plan's last stretch. Encoding every line here (the whole body) fails this, and so
    // does encoding only this thread's own.
    expect(saved.bytes).toBe(0);

    // As a plan a minute later sees it: a file changed less than 2 s before the listing that
    // cached it is racily clean (read again), and utimes sets no change time back.
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { scannedAt: number };
    header.scannedAt += 60_000;
    writeFileSync(cacheFile, `${JSON.stringify(header)}\n${body}`);
    const warm = await loadManifestDir(source, options);
    expect(warm.cacheHits).toBe(FILES);
    expect(warm.result).toEqual(cold.result);
    expect(cold.result.manifests).toHaveLength(FILES);
    expect(cold.result.diagnostics).toEqual([]);
  });
});
