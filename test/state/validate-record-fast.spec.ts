import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AudienceRecord } from '../../src/state/schema.js';
import { validateRecordFast } from '../../src/state/validate-record-fast.js';
import { editJson, type JsonEdit } from '../helpers/json-edits.js';
import { BENCH_RECORD, appliedRecord, fullRecord } from '../helpers/record-arbitraries.js';
import { runs } from '../helpers/property-runs.js';

/** The fast validator gives exactly zod's output (same keys, same order, same values), or defers. */
function agrees(json: unknown): boolean {
  const fast = validateRecordFast(json);
  if (fast === undefined) return false;
  const zod = AudienceRecord.safeParse(json);
  expect(zod.success, JSON.stringify(json)).toBe(true);
  expect(isDeepStrictEqual(fast, zod.data), JSON.stringify(json)).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  return true;
}

/** Values the schema accepts in some places and refuses in others, or reads unusually. */
const odd = fc.constantFrom<unknown>(
  ...['', ' ', 'x', 'Delete', 'Orphan', 'create', 'run', 'patch', 'audiences', 'file', 'S3', 'string'],
  ...[0, 1, 2, 3, -1, 1.5, -0, 1e11, 1e11 + 1, 1e14 + 1, 2 ** 53, Number.NaN, Infinity, -Infinity],
  ...[true, false, null, undefined, [], ['a'], [1], {}, { a: 1 }, 'a'.repeat(40)],
  { runId: 'r', status: 's', createdAt: 1, dataFilterStartTime: 0 },
  { id: 'i', kind: 'run', startedAt: 't' },
  { commit: 'a'.repeat(40), committedAt: 't' },
  { body: { name: 'x' }, spec: {}, hash: 'h' },
);
const oddKey = fc.constantFrom(
  'extra',
  'pendingCreate',
  'constructor',
  'runs',
  'deletionPolicy',
  'intent',
  'found',
  'revision',
  'countedBefore',
);

const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('set', 'set', 'set', 'delete', 'delete', 'add', 'nullProto', 'protoKey'),
  fc.oneof(odd, fc.integer({ min: -2, max: 100 }), fc.jsonValue({ maxDepth: 1 })),
  oddKey,
) as fc.Arbitrary<JsonEdit>;

const anyRecord = fc.oneof(fullRecord, appliedRecord, fc.constant(BENCH_RECORD as unknown));

describe('the fast record validator gives what zod gives, or leaves the record to zod', () => {
  it('accepts the bench generator’s record and what an apply writes', () => {
    expect(agrees(BENCH_RECORD)).toBe(true);
    fc.assert(
      fc.property(appliedRecord, (record) => {
        expect(agrees(record), JSON.stringify(record)).toBe(true);
      }),
      { numRuns: runs(300) },
    );
  });

  it('on records of every shape: equal to zod whenever it answers, and it answers most', () => {
    let accepted = 0;
    let tried = 0;
    fc.assert(
      fc.property(fullRecord, (record) => {
        tried += 1;
        if (agrees(record)) accepted += 1;
      }),
      { numRuns: runs(2000) },
    );
    // Most generated records are valid; some hold what it leaves (run times in milliseconds).
    if (tried >= 500) {
      expect(accepted).toBeGreaterThan(tried / 4);
      expect(accepted).toBeLessThan(tried);
    }
  });

  it('on records with edits', () => {
    let accepted = 0;
    let tried = 0;
    fc.assert(
      fc.property(anyRecord, fc.array(mutation, { minLength: 1, maxLength: 3 }), (record, mutations) => {
        tried += 1;
        if (agrees(editJson(record, mutations))) accepted += 1;
      }),
      { numRuns: runs(5000) },
    );
    if (tried >= 500) {
      expect(accepted).toBeGreaterThan(tried / 20);
      expect(accepted).toBeLessThan(tried);
    }
  });

  it.each([
    ['a create in progress', { pendingCreate: {} }],
    ['an undefined value', { audienceId: undefined }],
    [
      'a run time in milliseconds',
      { runs: [{ runId: 'r', status: 's', createdAt: 1.79e12, dataFilterStartTime: 0 }] },
    ],
    ['a newer format', { schemaVersion: 3 }],
    ['a number as the key', { key: 1 }],
  ])('leaves %s to zod', (_name, change) => {
    expect(validateRecordFast({ ...BENCH_RECORD, ...change })).toBeUndefined();
  });

  it('knows every field of the schema: a record holding all of them is not left to zod, nor any field left out', () => {
    // Made from the schema itself, so that a field added to schema.ts and not to the fast
    // validator (which would leave it out of every record it reads) fails here.
    const record = sampleOf(AudienceRecord) as Record<string, unknown>;
    // Left to zod (its manifest body, its caught fields).
    delete record.pendingCreate;
    expect(agrees(record), JSON.stringify(record)).toBe(true);
  });

  it('fills the defaults, leaves out unknown keys and puts the fields in the schema’s order', () => {
    const written = { extra: 1, key: 'k', sandbox: 's', schemaVersion: 2, audienceId: 'a' };
    expect(JSON.stringify(validateRecordFast(written))).toBe(
      JSON.stringify({
        schemaVersion: 2,
        sandbox: 's',
        key: 'k',
        audienceId: 'a',
        deletionPolicy: 'Delete',
        runs: [],
      }),
    );
  });
});

/**
 * A value the schema accepts with every optional field present, read from the schema's own
 * definition: strings that pass any pattern of it (a commit id), 1 for numbers.
 */
function sampleOf(schema: z.ZodType): unknown {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = (name: string) => sampleOf(def[name] as z.ZodType);
  switch (def.type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(def.shape as Record<string, z.ZodType>).map(([key, value]) => [key, sampleOf(value)]),
      );
    case 'optional':
    case 'default':
    case 'catch':
      return inner('innerType');
    case 'pipe':
      return inner('out');
    case 'array':
      return [inner('element')];
    case 'record':
      return { key: inner('valueType') };
    case 'union':
      return sampleOf((def.options as z.ZodType[])[0]!);
    case 'enum':
      return Object.values(def.entries as Record<string, string>)[0];
    case 'literal':
      return (def.values as unknown[])[0];
    case 'string':
      return 'a'.repeat(40);
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'unknown':
      return { any: ['value'] };
    default:
      throw new Error(`no sample for a ${def.type} schema`);
  }
}
