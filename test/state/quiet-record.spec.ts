import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { QuietRecord, quietRecordHead } from '../../src/state/quiet-record.js';
import {
  readSnapshot,
  trustedEntry,
  trustedRecord,
  writeSnapshot,
  type RecordFacts,
} from '../../src/state/snapshot.js';
import { loadSnapshotBytesSync } from '../../src/state/snapshot-specs.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { runs } from '../helpers/property-runs.js';
import { quietRecord } from '../helpers/quiet-reference.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Text as records hold it: mostly plain, sometimes what JSON escapes (a quote, a backslash, a control character) or not ASCII. */
const textArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('prod', 'dev', 'a-1', 'group-0/audience-0.yaml', 'manifests') },
  fc.constantFrom('', 'say "hi"', 'back\\slash', 'tab\there', 'é', 'a  b'),
);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const at = '2026-12-07T08:04:56.406Z';

const recordArb: fc.Arbitrary<AudienceRecord> = fc
  .record({
    schemaVersion: fc.constantFrom(1 as const, 2 as const),
    sandbox: textArb,
    key: textArb,
    operationId: opt(textArb),
    audienceId: opt(textArb),
    deletionPolicy: fc.constantFrom('Delete' as const, 'Orphan' as const),
    manifestFile: opt(textArb),
    sourceRoot: opt(textArb),
    repository: opt(textArb),
    applied: opt(
      fc.record({
        hash: textArb,
        ingestionRequest: opt(textArb),
      }),
    ),
    runs: fc.constantFrom(0, 0, 0, 1),
    extra: fc.constantFrom(
      'none',
      'none',
      'none',
      'intent',
      'blocked',
      'observed',
      'imported',
      'unknown',
      'refused',
    ),
  })
  .map((r) => {
    const record: AudienceRecord = {
      schemaVersion: r.schemaVersion,
      sandbox: r.sandbox,
      key: r.key,
      ...(r.operationId === undefined ? {} : { operationId: r.operationId }),
      ...(r.audienceId === undefined ? {} : { audienceId: r.audienceId }),
      deletionPolicy: r.deletionPolicy,
      ...(r.manifestFile === undefined ? {} : { manifestFile: r.manifestFile }),
      ...(r.sourceRoot === undefined ? {} : { sourceRoot: r.sourceRoot }),
      ...(r.repository === undefined ? {} : { repository: r.repository }),
      ...(r.applied === undefined
        ? {}
        : {
            applied: {
              spec: { name: 'A' } as never,
              hash: r.applied.hash,
              ...(r.applied.ingestionRequest === undefined
                ? {}
                : { ingestionRequest: r.applied.ingestionRequest }),
              at,
            },
          }),
      runs:
        r.runs === 0
          ? []
          : [{ runId: 'r1', status: 'SUCCESS', createdAt: 1_790_000_000, dataFilterStartTime: 0 }],
    };
    if (r.extra === 'intent') record.intent = { id: 'i', kind: 'patch', startedAt: at };
    if (r.extra === 'blocked') record.blocked = { code: 'NAME_TAKEN', message: 'taken', at };
    if (r.extra === 'observed') record.observed = { source: 'audiences', at, body: { name: 'A' } };
    if (r.extra === 'imported') record.imported = { at };
    if (r.extra === 'unknown') record.unknownAfterPatch = { at, paths: ['description'] };
    if (r.extra === 'refused') record.patchRefused = { at, specHash: 'x', message: 'no' };
    return record;
  });

const factsArb: fc.Arbitrary<RecordFacts> = fc.record({
  size: fc.nat({ max: 1 << 20 }),
  mtimeMs: fc.oneof(fc.double({ min: 0, max: 2e12, noNaN: true }), fc.nat()),
  ctimeMs: fc.oneof(fc.double({ min: 0, max: 2e12, noNaN: true }), fc.nat()),
  ino: fc.nat(),
});

/**
 * The entries' lines of a snapshot written of `entries` (writeSnapshot itself): each head (as
 * JSON text), where it lies in the records' lines read as latin1 (one character a byte, as
 * readSnapshot reads them), and whether its lazy part is empty.
 */
function linesOf(entries: Array<{ facts: RecordFacts; record: AudienceRecord }>): {
  text: string;
  lines: Array<{ head: string; start: number; end: number; lazyEmpty: boolean }>;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quiet-record-'));
  dirs.push(dir);
  const file = path.join(dir, 'state-snapshot.jsonl');
  expect(writeSnapshot(file, dir, 'schema', 0, entries)).toBe(true);
  const bytes = readFileSync(file);
  const end = bytes.indexOf(0x0a);
  const header = JSON.parse(bytes.toString('utf8', 0, end)) as { index: number };
  const body = bytes.subarray(end + 1, end + 1 + header.index);
  const lines: Array<{ head: string; start: number; end: number; lazyEmpty: boolean }> = [];
  for (let at = 0; at < body.length;) {
    const eol = body.indexOf(0x0a, at);
    const tab = body.indexOf(0x09, at);
    lines.push({ head: body.toString('utf8', at, tab), start: at, end: tab, lazyEmpty: tab + 1 === eol });
    at = eol + 1;
  }
  return { text: body.toString('latin1'), lines };
}

describe('quietRecordHead', () => {
  it('finds a snapshot entry quiet only when its record holds nothing a quiet record may not, and reads its fields as JSON.parse does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ facts: factsArb, record: recordArb }), { minLength: 1, maxLength: 8 }),
        (entries) => {
          const { text, lines } = linesOf(entries);
          lines.forEach(({ head, start, end, lazyEmpty }, i) => {
            const { facts, record } = entries[i]!;
            // Read where it lies among the others, as readSnapshot reads it.
            const found = quietRecordHead(text, start, end);
            const quiet = quietRecord(record) && lazyEmpty;
            if (found === undefined) {
              // Only a quiet record with text JSON escapes, or not ASCII, may be left to the long way.
              if (quiet) expect(head).toMatch(/[\\\u0080-\uffff]/);
              return;
            }
            expect(quiet).toBe(true);
            const parsed = JSON.parse(head) as [number, number, number, number, AudienceRecord];
            expect(found).toEqual({
              size: facts.size,
              mtimeMs: parsed[1],
              ctimeMs: parsed[2],
              ino: facts.ino,
              sandbox: record.sandbox,
              key: record.key,
              audienceId: record.audienceId,
              deletionPolicy: record.deletionPolicy,
              manifestFile: record.manifestFile,
              sourceRoot: record.sourceRoot,
              repository: record.repository,
              hash: record.applied!.hash,
            });
            expect([found.mtimeMs, found.ctimeMs]).toEqual([facts.mtimeMs, facts.ctimeMs]);
          });
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it("takes the bench repository's record as quiet, and not with a run", () => {
    const record: AudienceRecord = {
      schemaVersion: 1,
      sandbox: 'dev',
      key: 'audience-0',
      operationId: '8c320937-1573-4f5f-8acc-a8f22991d463',
      audienceId: '13ba5179-b965-46fa-aae8-bf89433971a7',
      deletionPolicy: 'Delete',
      manifestFile: 'group-0/audience-0.yaml',
      sourceRoot: 'manifests',
      applied: { spec: { name: 'Audience 0' } as never, hash: 'c3792bd7e416c830', at },
      runs: [],
    };
    const facts = { size: 1543, mtimeMs: 1796642626054.8086, ctimeMs: 1796642626054.8086, ino: 3884272 };
    const { text, lines } = linesOf([
      { facts, record },
      {
        facts,
        record: {
          ...record,
          runs: [{ runId: 'r', status: 'SUCCESS', createdAt: 1, dataFilterStartTime: 0 }],
        },
      },
    ]);
    const [quiet, loud] = lines;
    expect(quietRecordHead(text, quiet!.start, quiet!.end)).toMatchObject({
      key: 'audience-0',
      hash: 'c3792bd7e416c830',
      mtimeMs: 1796642626054.8086,
    });
    expect(quietRecordHead(text, loud!.start, loud!.end)).toBeUndefined();
    // Its head alone reads the same.
    expect(quietRecordHead(quiet!.head)).toMatchObject({ key: 'audience-0' });
  });
});

describe('readSnapshot with quiet lines', () => {
  it('serves every record as it does without them: the same keys, the same records', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ facts: factsArb, record: recordArb }), {
          minLength: 1,
          maxLength: 8,
          selector: ({ record }) => `${record.sandbox}\u0000${record.key}`,
        }),
        (entries) => {
          const dir = mkdtempSync(path.join(os.tmpdir(), 'quiet-snapshot-'));
          dirs.push(dir);
          const file = path.join(dir, 'state-snapshot.jsonl');
          // Written long after the files' times: every entry trusted by its facts.
          expect(writeSnapshot(file, dir, 'schema', 3e12, entries)).toBe(true);
          const plain = readSnapshot(loadSnapshotBytesSync(file), dir, 'schema', file)!;
          const quiet = readSnapshot(loadSnapshotBytesSync(file), dir, 'schema', file, true)!;
          expect(quiet.size).toBe(plain.size);
          for (const { facts, record } of entries) {
            const served = trustedRecord(quiet, record.sandbox, record.key, facts);
            expect(served).toBeDefined();
            // A file of other facts is not served: each fact compared, a quiet entry's as any.
            for (const other of [
              { ...facts, size: facts.size + 1 },
              { ...facts, mtimeMs: facts.mtimeMs + 1 },
              { ...facts, ctimeMs: facts.ctimeMs + 1 },
              { ...facts, ino: facts.ino + 1 },
            ])
              expect(trustedEntry(quiet, record.sandbox, record.key, other)).toBeUndefined();
            // A quiet record is its own entry: one object a record lives through the plan.
            const entry = quiet.quiet?.get(record.sandbox)?.get(record.key);
            if (entry !== undefined) expect(entry).toBeInstanceOf(QuietRecord);
            // As JSON: a lazy part is read when it is serialised.
            expect(JSON.parse(JSON.stringify(served))).toEqual(
              JSON.parse(JSON.stringify(trustedRecord(plain, record.sandbox, record.key, facts))),
            );
          }
        },
      ),
      { numRuns: runs(200) },
    );
  });
});
