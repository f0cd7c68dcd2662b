import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { readState } from '../../src/state/read.js';
import { readStateThroughSnapshot } from '../../src/state/read-snapshot.js';
import { RECORD_SCHEMA_ID } from '../../src/state/record-schema-id.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { STATE_SNAPSHOT_NAME } from '../../src/state/snapshot.js';
import { aRecord, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** A clock an hour ahead: the record files just written count as old ones (trusted on their facts). */
const later = () => Date.now() + 3_600_000;

const KEYS = ['k1', 'k2', 'k3'];

/** A store of three records, each with a long applied spec (most of a snapshot's bytes, as in a real one). */
async function store(): Promise<{ dir: string; snapshot: string; records: AudienceRecord[] }> {
  const dir = await tempDir();
  writeFileSync(metaPath(dir), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 3 }));
  const records = KEYS.map((key) => {
    const record = aRecord(key);
    record.applied!.spec.description = `The audience ${key}: ${'x'.repeat(300)}`;
    const file = recordPath(dir, 'prod', key);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(record));
    return record;
  });
  return { dir, snapshot: path.join(dir, STATE_SNAPSHOT_NAME), records };
}

/** Every byte of the file from `from` on replaced by another, the size kept. */
function spoilFrom(file: string, from: number): void {
  const bytes = readFileSync(file);
  for (let i = from; i < bytes.length; i += 1) bytes[i] = bytes[i] === 0x78 ? 0x79 : 0x78;
  writeFileSync(file, bytes);
}

describe("the state snapshot's applied specs", () => {
  it('are not read by a plan that reads no spec: the records are served with every spec byte spoiled', async () => {
    const { dir, snapshot, records } = await store();
    expect((await readStateThroughSnapshot(dir, snapshot, later)).save()).toBe(true);
    // Where the last record's spec starts: every spec lies from there back to the records' lines' end.
    const text = readFileSync(snapshot, 'utf8');
    const specs = records.map((r) => JSON.stringify(r.applied!.spec)).join('');
    const at = text.lastIndexOf(specs);
    expect(at).toBeGreaterThan(0);
    spoilFrom(snapshot, Buffer.byteLength(text.slice(0, at)));

    const read = await readStateThroughSnapshot(dir, snapshot, later);
    expect(read.hits).toBe(3);
    // What is not a spec is served as written.
    expect(read.state.audiences.map((r) => [r.key, r.audienceId, r.applied!.hash])).toEqual(
      records.map((r) => [r.key, r.audienceId, r.applied!.hash]),
    );
    // A spoiled spec is refused when it is read, never served.
    expect(() => read.state.audiences[1]!.applied!.spec).toThrow(
      expect.objectContaining({ code: 'STATE_SNAPSHOT_STALE' }),
    );
    // As `plan` then plans again: the records read without it, equal to a read of the files, and it is written anew.
    const without = await readStateThroughSnapshot(dir, snapshot, later, Promise.resolve(undefined));
    expect(without.hits).toBe(0);
    expect(without.state).toStrictEqual(await readState(dir));
    expect(without.save()).toBe(true);
    const next = await readStateThroughSnapshot(dir, snapshot, later);
    expect(next.hits).toBe(3);
    expect(next.state).toStrictEqual(await readState(dir));
  });

  it('are refused when the snapshot was replaced after its records were read', async () => {
    const { dir, snapshot } = await store();
    (await readStateThroughSnapshot(dir, snapshot, later)).save();
    const read = await readStateThroughSnapshot(dir, snapshot, later);
    expect(read.hits).toBe(3);
    // Another plan's snapshot, the same records under another listing's time (a new header).
    (await readStateThroughSnapshot(dir, `${snapshot}.other`, () => later() + 1_000)).save();
    writeFileSync(snapshot, readFileSync(`${snapshot}.other`));
    expect(() => read.state.audiences[0]!.applied!.spec).toThrow(
      expect.objectContaining({ code: 'STATE_SNAPSHOT_STALE' }),
    );
  });

  it("of an older release's snapshot (format 3, specs within the lines) are never misread: it is not used, and written anew", async () => {
    const { dir, snapshot, records } = await store();
    // As the release before wrote it, for a listing after the files' last change, but with
    // another audience id and spec than the files hold: a served record would show them.
    const scannedAt = later();
    const lines = KEYS.map((key, i) => {
      const { size, mtimeMs, ctimeMs, ino } = statSync(recordPath(dir, 'prod', key));
      const old = { ...records[i]!, audienceId: 'aud-from-the-old-snapshot' };
      const head = { ...old, applied: { ...old.applied!, spec: 0 } };
      return `${JSON.stringify([size, mtimeMs, ctimeMs, ino, head])}\t${JSON.stringify({ name: 'Old' })}\t\n`;
    }).join('');
    const digest = createHash('sha1').update(lines).digest('hex');
    const header = {
      format: 'audiencectl-state-snapshot/3',
      dir: path.resolve(dir),
      schema: RECORD_SCHEMA_ID,
      scannedAt,
      digest,
    };
    writeFileSync(snapshot, `${JSON.stringify(header)}\n${lines}`);
    const read = await readStateThroughSnapshot(dir, snapshot, later);
    expect(read.hits).toBe(0);
    expect(read.state).toStrictEqual(await readState(dir));
    expect(JSON.stringify(read.state)).not.toContain('aud-from-the-old-snapshot');
    expect(read.save()).toBe(true);
    expect(JSON.parse(readFileSync(snapshot, 'utf8').split('\n')[0]!)).toMatchObject({
      format: 'audiencectl-state-snapshot/4',
    });
    const next = await readStateThroughSnapshot(dir, snapshot, later);
    expect(next.hits).toBe(3);
    expect(next.state).toStrictEqual(await readState(dir));
  });
});
