import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { readState } from '../../src/state/read.js';
import { readStateThroughSnapshot } from '../../src/state/read-snapshot.js';
import { statRecords, type StattedRecords } from '../../src/state/record-names.js';
import { readSnapshot, SNAPSHOT_FORMAT, STATE_SNAPSHOT_NAME } from '../../src/state/snapshot.js';
import { loadSnapshotBytesSync, SnapshotSpecError, specDigest } from '../../src/state/snapshot-specs.js';
import { aRecord, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** What the fact scan's thread sends: the records and their facts, or (it failed) nothing. */
function scannedRecords(dir: string, now: () => number): StattedRecords | undefined {
  try {
    return statRecords(dir, now);
  } catch {
    return undefined;
  }
}

const SANDBOXES = ['prod', 'dev'] as const;
const KEYS = ['k1', 'k2', 'k3'] as const;

/** What a record file can hold: records in several shapes (defaults left out, unknown keys), and damage. */
const contentArb = (sandbox: string, key: string) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({
          description: fc.string({ maxLength: 12 }),
          runs: fc.array(
            fc.record({
              runId: fc.constantFrom('r1', 'r2'),
              status: fc.constantFrom('SUCCESS', 'FAILED', 'PROCESSING'),
              createdAt: fc.integer({ min: 0, max: 2_000_000_000 }),
              dataFilterStartTime: fc.integer({ min: 0, max: 2_000_000_000 }),
            }),
            { maxLength: 2 },
          ),
          withDefaults: fc.boolean(),
          extra: fc.boolean(),
          blocked: fc.boolean(),
          observed: fc.option(fc.dictionary(fc.constantFrom('audienceName', 'status', 'n'), fc.jsonValue())),
          applied: fc.boolean(),
        })
        .map(({ description, runs, withDefaults, extra, blocked, observed, applied }) => {
          const record: Record<string, unknown> = { ...aRecord(key, { sandbox }), runs };
          (record.applied as { spec: { description: string } }).spec.description = description;
          if (!withDefaults) {
            delete record.deletionPolicy;
            delete record.runs;
          }
          if (extra) record.unknownField = { kept: false };
          if (observed) record.observed = { source: 'operation', at: '2026-01-01T00:00:00Z', body: observed };
          if (!applied) delete record.applied;
          if (blocked) record.blocked = { code: 'X', message: 'needs a person', at: '2026-01-01T00:00:00Z' };
          return JSON.stringify(record, null, 2);
        }),
    },
    fc.constantFrom(
      '{"schemaVersion": 1, "sandbox": ',
      JSON.stringify({ schemaVersion: 2, sandbox, key }),
      JSON.stringify(aRecord(key === 'k1' ? 'k2' : 'k1', { sandbox })),
      '',
    ),
  );

type Op =
  | { kind: 'write'; sandbox: string; key: string; text: string }
  | { kind: 'delete'; sandbox: string; key: string }
  | { kind: 'same-size'; sandbox: string; key: string }
  | { kind: 'meta'; serial: number }
  | { kind: 'corrupt-snapshot'; at: number }
  | { kind: 'tamper-snapshot' }
  | { kind: 'tamper-specs'; at: number }
  | { kind: 'delete-snapshot' }
  | { kind: 'foreign'; sandbox: string };

const placeArb = fc.record({ sandbox: fc.constantFrom(...SANDBOXES), key: fc.constantFrom(...KEYS) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: placeArb.chain(({ sandbox, key }) =>
      contentArb(sandbox, key).map((text) => ({ kind: 'write' as const, sandbox, key, text })),
    ),
  },
  { weight: 2, arbitrary: placeArb.map((place) => ({ kind: 'delete' as const, ...place })) },
  { weight: 2, arbitrary: placeArb.map((place) => ({ kind: 'same-size' as const, ...place })) },
  fc.nat(100).map((serial) => ({ kind: 'meta' as const, serial })),
  fc.nat().map((at) => ({ kind: 'corrupt-snapshot' as const, at })),
  fc.constant({ kind: 'tamper-snapshot' as const }),
  fc.nat().map((at) => ({ kind: 'tamper-specs' as const, at })),
  fc.constant({ kind: 'delete-snapshot' as const }),
  fc.constantFrom(...SANDBOXES).map((sandbox) => ({ kind: 'foreign' as const, sandbox })),
);

/**
 * Modification times in whole seconds, the same for every write: as on a file system
 * with a coarse clock, an edit may keep size and modification time alike.
 */
const MTIME = Math.floor(Date.now() / 1000);

/** The change time each record file had after the test last wrote it. */
const changedAt = new Map<string, number>();

/**
 * After a write of `file`: its modification time set (to `mtime`, or left as the write made
 * it), again until its change time differs from the one it had after the last write here. A
 * file system whose change times are a clock tick coarse (Linux before 6.13's fine-grained
 * ones; ramfs still) gives a rewrite within the tick of the last write the same change time,
 * size and modification time, which no reader can tell from the file: a reader's racy margin
 * does, but these tests' clock is an hour ahead of the writes.
 */
function settle(file: string, mtime?: number): void {
  const before = changedAt.get(file);
  const time = mtime ?? statSync(file).mtime;
  do utimesSync(file, time, time);
  while (statSync(file).ctimeMs === before);
  changedAt.set(file, statSync(file).ctimeMs);
}

function apply(op: Op, dir: string, snapshot: string): void {
  try {
    if (op.kind === 'write') {
      const file = recordPath(dir, op.sandbox, op.key);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, op.text);
      settle(file, MTIME);
    } else if (op.kind === 'delete') {
      rmSync(recordPath(dir, op.sandbox, op.key));
    } else if (op.kind === 'same-size') {
      // An edit in place that keeps the size and the modification time: only the change time tells.
      const file = recordPath(dir, op.sandbox, op.key);
      const text = readFileSync(file, 'utf8');
      writeFileSync(
        file,
        text.includes('aud-') ? text.replace('aud-', 'AUD-') : text.replace('AUD-', 'aud-'),
      );
      settle(file, MTIME);
    } else if (op.kind === 'meta') {
      writeFileSync(metaPath(dir), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: op.serial }));
    } else if (op.kind === 'corrupt-snapshot') {
      const text = readFileSync(snapshot, 'utf8');
      writeFileSync(snapshot, `${text.slice(0, op.at % (text.length + 1))}]x`);
    } else if (op.kind === 'tamper-snapshot') {
      // Valid JSON, the same size, another audience id: the digest tells.
      writeFileSync(snapshot, readFileSync(snapshot, 'utf8').replace('aud-', 'AUD-'));
    } else if (op.kind === 'tamper-specs') {
      // One byte of the specs section (after the records' lines, which the digest covers) changed in place.
      const bytes = readFileSync(snapshot);
      const end = bytes.indexOf(0x0a);
      const { index } = JSON.parse(bytes.toString('utf8', 0, end)) as { index: number };
      const start = end + 1 + index;
      if (start < bytes.length) {
        const at = start + (op.at % (bytes.length - start));
        bytes[at] = bytes[at] === 0x61 ? 0x62 : 0x61;
        writeFileSync(snapshot, bytes);
      }
    } else if (op.kind === 'delete-snapshot') {
      rmSync(snapshot);
    } else {
      const folder = path.join(dir, 'audiences', op.sandbox);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, '.k1.json.1.tmp'), '{"half": ');
    }
  } catch {
    // The file was not there: the operation is a no-op.
  }
}

/** The state, or the error a read gave (its code and message): both must be the same either way. */
async function outcome<T>(read: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await read() };
  } catch (error) {
    return { error: `${(error as { code?: string }).code}: ${(error as Error).message}` };
  }
}

describe('the state snapshot', () => {
  it('reads exactly what readState reads (after a refused spec: read again without it), through edits, additions, deletions, damaged records and snapshots', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ op: opArb, late: fc.boolean(), scan: fc.boolean() }), {
          minLength: 1,
          maxLength: 14,
        }),
        async (steps) => {
          const dir = await tempDir();
          const snapshot = path.join(dir, STATE_SNAPSHOT_NAME);
          // Mostly a clock an hour ahead, so that the files just written count as old ones
          // (trusted on their facts); sometimes the real one (every file "racily clean").
          let ahead = Date.now() + 3_600_000;
          for (const { op, late, scan } of steps) {
            apply(op, dir, snapshot);
            ahead += 10_000;
            const now = late ? Date.now : () => ahead;
            const reference = await outcome(() => readState(dir));
            let save: (() => boolean) | undefined;
            const through = await outcome(async () => {
              // Sometimes with the records listed and stat-ed first, as the fact scan's thread does.
              const scanned = scan ? Promise.resolve(scannedRecords(dir, now)) : undefined;
              const read = await readStateThroughSnapshot(dir, snapshot, now, undefined, scanned);
              // The same records served by the snapshot, whoever took their facts.
              if (scan) expect(read.hits).toBe((await readStateThroughSnapshot(dir, snapshot, now)).hits);
              try {
                // Every applied spec read, as a JSON plan does, before the state is compared.
                JSON.stringify(read.state);
              } catch (error) {
                // One its specs section no longer holds as written (snapshot-specs.ts) is
                // refused, never served: `plan` then plans again without the snapshot.
                if (!(error instanceof SnapshotSpecError)) throw error;
                const again = await readStateThroughSnapshot(dir, snapshot, now, Promise.resolve(undefined));
                expect(again.hits).toBe(0);
                save = again.save;
                return again.state;
              }
              save = read.save;
              return read.state;
            });
            expect(through).toStrictEqual(reference);
            // Key order too: a saved plan's state digest is taken over the records' JSON.
            expect(JSON.stringify(through)).toBe(JSON.stringify(reference));
            save?.();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('serves unchanged records without reading them, and reads a changed or added one', async () => {
    const dir = await tempDir();
    const snapshot = path.join(dir, STATE_SNAPSHOT_NAME);
    const later = () => Date.now() + 3_600_000;
    const write = (key: string, description: string) => {
      const record = aRecord(key);
      record.applied!.spec.description = description;
      mkdirSync(path.dirname(recordPath(dir, 'prod', key)), { recursive: true });
      writeFileSync(recordPath(dir, 'prod', key), JSON.stringify(record));
      settle(recordPath(dir, 'prod', key));
    };
    write('k1', 'one');
    write('k2', 'two');
    const first = await readStateThroughSnapshot(dir, snapshot, later);
    expect(first.hits).toBe(0);
    expect(first.save()).toBe(true);
    const second = await readStateThroughSnapshot(dir, snapshot, later);
    expect(second.hits).toBe(2);
    // Nothing was read: nothing to write.
    expect(second.save()).toBe(false);
    write('k1', 'uno');
    write('k3', 'three');
    const third = await readStateThroughSnapshot(dir, snapshot, later);
    expect(third.hits).toBe(1);
    expect(third.state.audiences.map((r) => r.applied?.spec.description)).toEqual(['uno', 'two', 'three']);
  });

  it('does not trust a record changed within the racy margin of the listing that wrote the snapshot', async () => {
    const dir = await tempDir();
    const snapshot = path.join(dir, STATE_SNAPSHOT_NAME);
    const file = recordPath(dir, 'prod', 'k1');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(aRecord('k1')));
    // Listed a second after the change, by a clock pinned to it: on the real clock, a loaded
    // machine pausing 2 s between the write and the listing made the record old enough to trust.
    (await readStateThroughSnapshot(dir, snapshot, () => statSync(file).ctimeMs + 1_000)).save();
    expect((await readStateThroughSnapshot(dir, snapshot)).hits).toBe(0);
  });

  it('takes a line only as the entry and one part per lazy property, tab-separated, and its applied spec only from its place, even under a matching digest', async () => {
    const dir = await tempDir();
    const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
    let n = 0;
    const read = (body: string, specs: string) => {
      const header = JSON.stringify({
        format: SNAPSHOT_FORMAT,
        dir: '/s',
        schema: 'x',
        scannedAt: 1,
        index: Buffer.byteLength(body),
        digest: sha1(body),
      });
      const file = path.join(dir, `snapshot-${(n += 1)}`);
      writeFileSync(file, `${header}\n${body}${specs}`);
      return readSnapshot(loadSnapshotBytesSync(file), '/s', 'x', file);
    };
    const gold = '{"name":"Gold é"}';
    const silver = '{"name":"Silver"}';
    const specs = gold + silver;
    const goldAt = [0, Buffer.byteLength(gold), specDigest(gold)];
    const silverAt = [Buffer.byteLength(gold), Buffer.byteLength(silver), specDigest(silver)];
    const entry = (key: string, spec: unknown) =>
      JSON.stringify([1, 2, 3, 4, { sandbox: 'prod', key, applied: { spec, hash: 'h' } }]);
    const good = read(`${entry('k1', goldAt)}\t\n\n${entry('k2', silverAt)}\t`, specs);
    const entries = [...good!.records.values()].flatMap((keys) => [...keys.values()]);
    expect(good!.size).toBe(2);
    expect(entries.map((e) => JSON.parse(JSON.stringify(e)) as unknown)).toEqual([
      [1, 2, 3, 4, { sandbox: 'prod', key: 'k1', applied: { spec: { name: 'Gold é' }, hash: 'h' } }],
      [1, 2, 3, 4, { sandbox: 'prod', key: 'k2', applied: { spec: { name: 'Silver' }, hash: 'h' } }],
    ]);
    // A key written twice (by hand) is one record, the last line's.
    const twice = read(`${entry('k1', goldAt)}\t\n${entry('k1', silverAt)}\t`, specs);
    expect(twice!.size).toBe(1);
    expect(twice!.records.get('prod')?.get('k1')?.[4].applied?.spec).toEqual({ name: 'Silver' });
    // A place whose bytes are not the spec its digest names: refused when read.
    const swapped = read(`${entry('k1', [0, silverAt[1], silverAt[2]])}\t`, specs);
    expect(() => swapped!.records.get('prod')?.get('k1')?.[4].applied?.spec).toThrow(
      expect.objectContaining({ code: 'STATE_SNAPSHOT_STALE' }),
    );
    const beyond = read(`${entry('k1', [1, silverAt[1], silverAt[2]])}\t`, gold);
    expect(() => beyond!.records.get('prod')?.get('k1')?.[4].applied?.spec).toThrow(
      expect.objectContaining({ code: 'STATE_SNAPSHOT_STALE' }),
    );
    for (const line of [
      `${entry('k1', goldAt)}\n`,
      `${entry('k1', goldAt)}\t\t\n`,
      `${entry('k1', goldAt)}\t{"observed":1}\n`,
      // Format 3's placeholder (the spec within the line), and other places that are none.
      `${entry('k1', 0)}\t\n`,
      `${entry('k1', [0, 1])}\t\n`,
      `${entry('k1', [-1, 1, 'd'])}\t\n`,
      `${entry('k1', [0, 1.5, 'd'])}\t\n`,
      `${entry('k1', [0, 1, 2])}\t\n`,
      `${entry('k1', goldAt).replace('"sandbox"', '\t"sandbox"')}\t\n`,
      `${entry('k1', goldAt)}\n${entry('k2', silverAt)}\t\n`,
    ])
      expect(read(line, specs)).toBeUndefined();
  });
});
