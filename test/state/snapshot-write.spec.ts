import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BATCH_CHARS } from '../../src/cache/cache-file.js';
import { RECORD_SCHEMA_ID } from '../../src/state/record-schema-id.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import {
  readSnapshot,
  STATE_SNAPSHOT_NAME,
  trustedRecord,
  writeSnapshot,
  type RecordFacts,
} from '../../src/state/snapshot.js';
import { loadSnapshotBytesSync } from '../../src/state/snapshot-specs.js';
import { aRecord, useTempDirs } from './helpers.js';

/**
 * How a state snapshot is written: a plan of a store without one (a fresh clone's first, a
 * cold one) writes it on its last stretch, after the plan is shown. Its records' lines used
 * to be made and held, all of them, before a byte was written (the header names their
 * length, and is written first in the file), then encoded into a new buffer a batch: 4.4 MB
 * of strings and 11 MB of memory never touched before at 10,000 records.
 */
const tempDir = useTempDirs();

afterEach(() => {
  vi.restoreAllMocks();
});

/** Enough records for their lines (about 650 bytes each) to pass a batch, and with their specs three. */
const COUNT = Math.ceil((2.5 * BATCH_CHARS) / 1000);
const NOW = Date.now();
const OLD = NOW - 3_600_000;

function records(): Array<{ facts: RecordFacts; record: AudienceRecord }> {
  return Array.from({ length: COUNT }, (_, i) => {
    const key = `k${String(i).padStart(5, '0')}`;
    const record = aRecord(key, { operationId: `op-${key}-${'o'.repeat(400)}` });
    record.applied!.spec.description = `The audience ${i}: ${'x'.repeat(600)}`;
    return { facts: { size: 1000 + i, mtimeMs: OLD, ctimeMs: OLD, ino: 10_000 + i }, record };
  });
}

/** The bytes written so far into the directory's files other than the snapshot (its temporary file). */
function bytesInTemp(dir: string): number {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== STATE_SNAPSHOT_NAME)
    .reduce((sum, entry) => sum + statSync(path.join(dir, entry.name)).size, 0);
}

describe('writing the state snapshot', () => {
  it("writes the records' lines as it makes them: some are in the file before the last record is read", async () => {
    const dir = await tempDir();
    const file = path.join(dir, STATE_SNAPSHOT_NAME);
    const entries = records();
    let writtenBeforeLast: number | undefined;
    const last = entries.at(-1)!;
    entries[entries.length - 1] = {
      facts: last.facts,
      get record() {
        writtenBeforeLast ??= bytesInTemp(dir);
        return last.record;
      },
    };
    expect(writeSnapshot(file, dir, RECORD_SCHEMA_ID, NOW, entries)).toBe(true);
    // At least the first batch of lines (before: nothing, not even the temporary file).
    expect(writtenBeforeLast).toBeGreaterThanOrEqual(BATCH_CHARS);
  });

  it('encodes every batch into one buffer, taken once', async () => {
    const dir = await tempDir();
    const file = path.join(dir, STATE_SNAPSHOT_NAME);
    const allocations = vi.spyOn(Buffer, 'allocUnsafeSlow');
    expect(writeSnapshot(file, dir, RECORD_SCHEMA_ID, NOW, records())).toBe(true);
    // Lines and specs pass three batches; before, each was a new buffer.
    expect(statSync(file).size).toBeGreaterThan(2 * BATCH_CHARS);
    expect(allocations).toHaveBeenCalledTimes(1);
  });

  it('is read back whole: every record served as written, the header naming the lines it is followed by', async () => {
    const dir = await tempDir();
    const file = path.join(dir, STATE_SNAPSHOT_NAME);
    const entries = records();
    expect(writeSnapshot(file, dir, RECORD_SCHEMA_ID, NOW, entries)).toBe(true);
    const text = readFileSync(file, 'utf8');
    const headerLine = text.slice(0, text.indexOf('\n'));
    const header = JSON.parse(headerLine) as { index: number; scannedAt: number };
    expect(header.scannedAt).toBe(NOW);
    // The lines end where the specs begin: with the last record's line.
    const lines = Buffer.from(text).subarray(
      Buffer.byteLength(headerLine) + 1,
      Buffer.byteLength(headerLine) + 1 + header.index,
    );
    expect(lines.toString('utf8').split('\n')).toHaveLength(COUNT + 1);
    expect(lines.at(-1)).toBe(0x0a);

    const snapshot = readSnapshot(loadSnapshotBytesSync(file), dir, RECORD_SCHEMA_ID, file);
    expect(snapshot?.size).toBe(COUNT);
    for (const { facts, record } of entries) {
      const served = trustedRecord(snapshot!, record.sandbox, record.key, facts);
      expect(served && { ...served, applied: { ...served.applied, spec: served.applied!.spec } }).toEqual(
        record,
      );
    }
  });
});
