import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { aRecord } from '../../test/state/helpers.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import { loadSnapshotBytesSync } from './snapshot-specs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'audiencectl-snapshot-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** How many bytes Buffer#toString decodes while `run` runs (every call, every buffer). */
function bytesDecoded(run: () => void): number {
  let decoded = 0;
  const prototype = Buffer.prototype as Buffer;
  // Called with each buffer as `this`, below.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const toString = prototype.toString;
  vi.spyOn(prototype, 'toString').mockImplementation(function (
    this: Buffer,
    ...[encoding, start, end]: Parameters<Buffer['toString']>
  ) {
    decoded += Math.min(end ?? this.length, this.length) - Math.max(start ?? 0, 0);
    return toString.call(this, encoding, start, end);
  });
  run();
  vi.restoreAllMocks();
  return decoded;
}

describe('reading the state snapshot', () => {
  it('decodes no applied spec until it is read (a no-change plan reads none)', () => {
    // A description long enough that the specs are most of the file, as in a real snapshot.
    const records = ['a', 'b', 'c', 'd'].map((key) => {
      const record = aRecord(key);
      record.applied!.spec.description = `Audience ${key} ${'é'.repeat(200)}`;
      return record;
    });
    const file = path.join(dir, 'state-snapshot.jsonl');
    const facts = { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1 };
    expect(
      writeSnapshot(
        file,
        dir,
        'schema',
        10_000,
        records.map((record) => ({ facts, record })),
      ),
    ).toBe(true);
    const loaded = loadSnapshotBytesSync(file)!;
    const specBytes = records.map((r) => Buffer.byteLength(JSON.stringify(r.applied!.spec)));
    const allSpecs = specBytes.reduce((a, b) => a + b, 0);

    let snapshot: ReturnType<typeof readSnapshot>;
    const decoded = bytesDecoded(() => (snapshot = readSnapshot(loaded, dir, 'schema', file)));
    expect(snapshot!.size).toBe(4);
    // The header and each record's entry, not the specs' bytes.
    expect(decoded).toBeLessThanOrEqual(statSync(file).size - allSpecs);

    // One spec read decodes that spec's bytes, and reads as written.
    const entry = snapshot!.records.get('prod')!.get('c')!;
    const read = bytesDecoded(() => expect(entry[4].applied!.spec).toEqual(records[2]!.applied!.spec));
    expect(read).toBe(specBytes[2]);
    expect(entry[4]).toEqual(records[2]);
  });
});
