import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { benchManifest } from '../../bench/lib/generate.js';
import { DEFAULT_PARSE_LIMITS } from '../../src/manifest/limits.js';
import { startParsePool, type SentLines } from '../../src/manifest/parse-pool.js';

// The built parser thread (`npm run build`), as the CLI starts it.
const workerUrl = new URL('../../dist/manifest/parse-worker.js', import.meta.url);
const root = mkdtempSync(path.join(os.tmpdir(), 'given-back-lines-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = 640;
const names = Array.from({ length: FILES }, (_, i) => `m${String(i).padStart(4, '0')}.yaml`);

beforeAll(() => {
  names.forEach((name, i) => writeFileSync(path.join(root, name), stringify(benchManifest(i))));
});

describe('the lines a parser thread sends for a chunk', () => {
  it('are told as the lines of files that follow one another, never of a chunk given back with gaps', async () => {
    // A caller that parsed some of a chunk gives back the others (those needing the full
    // parser, read-source.ts): told as the files first..first+count-1, a chunk of files 1, 3
    // and 5 put file 3's line in the manifest cache as file 2's, and file 2's nowhere.
    const told: SentLines[] = [];
    const pool = startParsePool({ url: workerUrl, workers: 1 });
    const session = pool.session<string>(DEFAULT_PARSE_LIMITS, undefined, (sent) => told.push(sent));
    for (const name of names)
      session.addFile({ relative: name, absolute: path.join(root, name), maxBytes: 4096 });
    let given = 0;
    for (let chunk = session.take(); chunk; chunk = session.take()) {
      for (const job of chunk.filter((j) => j.index % 2 === 0)) session.settle(job.index, 'here');
      const back = chunk.filter((j) => j.index % 2 === 1);
      given += back.length;
      session.requeue(back);
    }
    const outcomes = await session.done();
    expect(given).toBeGreaterThan(0);
    expect(told.length).toBeGreaterThan(0);
    for (const sent of told) {
      const lines = Buffer.from(sent.bytes).toString('utf8').split('\n').slice(0, -1);
      const paths = lines.map((line) => JSON.parse(line.slice(0, line.indexOf('\t'))) as string);
      expect(paths).toEqual(names.slice(sent.first, sent.first + sent.count));
      expect(lines).toEqual(outcomes.slice(sent.first, sent.first + sent.count));
    }
  });
});
