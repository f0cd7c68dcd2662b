import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AudienceRecord } from '../../src/state/schema.js';
import { validateRecordFast } from '../../src/state/validate-record-fast.js';
import { load, manifestArb } from '../helpers/arbitraries.js';
import { appliedState } from '../helpers/planning.js';
import { editJson, type JsonEdit } from '../helpers/json-edits.js';
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

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const text = fc.constantFrom(
  'x',
  '',
  ' padded ',
  'core/C1',
  'é',
  'op-1',
  '2026-12-07T08:04:56.406Z',
  'a\u202Eb',
);
const texts = fc.array(text, { maxLength: 3 });
const commit = fc.oneof(
  { arbitrary: fc.constantFrom('a'.repeat(40), '0123456789abcdef'.repeat(4), 'b'.repeat(64)), weight: 4 },
  { arbitrary: fc.constantFrom('A'.repeat(40), 'a'.repeat(39), 'a'.repeat(41)), weight: 1 },
);
/** Epoch seconds, and the service's milliseconds that older releases recorded as seconds. */
const time = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 1e11 }), weight: 8 },
  {
    arbitrary: fc.constantFrom(0, 1e11, 1e11 + 1, 1_790_000_000_000, 1_790_000_000_000_000, 1.5, 2 ** 40),
    weight: 2,
  },
);
const revision = fc.record({ commit, committedAt: text });

function withProtoKey(body: Record<string, unknown>): unknown {
  const rest = JSON.stringify(body).slice(1);
  return JSON.parse(`{"__proto__":{"polluted":true}${rest === '}' ? '' : ','}${rest}`) as unknown;
}

/** Objects without their undefined entries (JSON's, as a record file is read). */
function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

const normalSpec = fc
  .record({
    name: text,
    description: text,
    customAudienceId: maybe(text),
    fields: fc.array(
      fc
        .record({
          name: text,
          type: fc.constantFrom('string', 'number', 'long', 'integer', 'date', 'datetime', 'boolean'),
          identityNs: maybe(text),
          labels: texts,
        })
        .map(defined),
      { maxLength: 3 },
    ),
    sourceSpec: fc
      .record({
        path: text,
        type: fc.constantFrom('file', 'folder'),
        sourceType: maybe(fc.constantFrom('Cloud Storage', 'x')),
        cloudType: maybe(fc.constantFrom('S3', 'DLZ', 'GCS', 'SFTP')),
        baseConnectionId: maybe(text),
      })
      .map(defined),
    ttlInDays: fc.oneof(
      { arbitrary: fc.integer({ min: -1, max: 91 }), weight: 9 },
      { arbitrary: fc.constantFrom(1.5, 2 ** 53), weight: 1 },
    ),
    labels: texts,
    audienceType: fc.constantFrom('people', 'x'),
    originName: text,
    namespace: text,
    tags: texts,
  })
  .map(defined);

const run = fc
  .record({
    runId: text,
    status: fc.constantFrom('SUCCESS', 'FAILED', 'PROCESSING'),
    createdAt: time,
    // -Infinity: JSON.parse reads -1e400 so.
    dataFilterStartTime: fc.oneof(
      { arbitrary: time, weight: 9 },
      { arbitrary: fc.constantFrom(-5, -Infinity, Number.NaN), weight: 1 },
    ),
    dataFilterEndTime: maybe(time),
    reason: maybe(fc.constantFrom('onCreate', 'every', 'request:t1')),
    failureReason: maybe(
      fc.constantFrom('quota', 'Authorization: Bearer abc.def.ghi', 'https://u:hunter2@host/x'),
    ),
    formerAudienceId: maybe(text),
    countedBefore: maybe(fc.integer({ min: -1, max: 30 })),
  })
  .map(defined);

const intent = fc
  .record({
    id: text,
    kind: fc.constantFrom('create', 'patch', 'run', 'delete'),
    startedAt: text,
    specHash: maybe(text),
    unseenChanged: maybe(texts),
    runReason: maybe(text),
    dataFilterStartTime: maybe(time),
    knownRunIds: maybe(texts),
    listedAll: maybe(fc.boolean()),
    countedBefore: maybe(fc.integer({ min: -1, max: 9 })),
    forReplace: maybe(fc.constant(true)),
    audienceId: maybe(text),
  })
  .map(defined);

/** Records in every shape the schema reads, with every optional part (pendingCreate aside: left to zod). */
const fullRecord = fc
  .record({
    schemaVersion: fc.constantFrom(1, 2),
    sandbox: fc.constantFrom('prod', 'dev'),
    key: fc.constantFrom('gold', 'audience-0'),
    operationId: maybe(text),
    audienceId: maybe(text),
    deletionPolicy: maybe(fc.constantFrom('Delete', 'Orphan')),
    manifestFile: maybe(text),
    sourceRoot: maybe(text),
    repository: maybe(text),
    applied: maybe(
      fc
        .record({
          spec: normalSpec,
          hash: text,
          ingestionRequest: maybe(text),
          at: text,
          revision: maybe(revision),
        })
        .map(defined),
    ),
    observed: maybe(
      fc.record({
        source: fc.constantFrom('operation', 'patch', 'audiences'),
        at: text,
        body: fc
          .tuple(
            fc.dictionary(fc.constantFrom('id', 'name', 'status', '0', '10', 'x y'), fc.jsonValue(), {
              maxKeys: 4,
            }),
            fc.boolean(),
          )
          // A `__proto__` key, as JSON.parse makes it: an own property.
          .map(([body, proto]) => (proto ? withProtoKey(body) : body)),
      }),
    ),
    runs: maybe(fc.array(run, { maxLength: 3 })),
    intent: maybe(intent),
    imported: maybe(
      fc
        .record({
          at: text,
          ingestionRequest: maybe(text),
          revision: maybe(revision),
          name: maybe(text),
          unverified: maybe(fc.constant(true)),
          runsCounted: maybe(fc.integer({ min: 0, max: 99 })),
        })
        .map(defined),
    ),
    patchRefused: maybe(fc.record({ at: text, specHash: text, message: text })),
    unknownAfterPatch: maybe(fc.record({ at: text, paths: texts })),
    unansweredRun: maybe(intent),
    unansweredDelete: maybe(intent),
    blocked: maybe(
      fc.record({ code: text, message: text, at: text, name: maybe(text), found: maybe(texts) }).map(defined),
    ),
    stray: maybe(fc.jsonValue()),
  })
  .map(defined)
  // Keys in another order than the schema's, as a hand edit or another writer leaves them.
  .chain((record) =>
    fc
      .shuffledSubarray(Object.keys(record), { minLength: Object.keys(record).length })
      .map((keys) => Object.fromEntries(keys.map((key) => [key, record[key]]))),
  );

/** The records a successful apply of generated manifests leaves (simulate-apply.ts), as written. */
const appliedRecord = manifestArb('a').map(
  (manifest) => JSON.parse(JSON.stringify(appliedState(load([manifest])).audiences[0])) as unknown,
);

/** A record as the bench's generator writes it (bench/), and as this release writes one. */
const BENCH_RECORD = {
  schemaVersion: 1,
  sandbox: 'dev',
  key: 'audience-0',
  operationId: '8c320937-1573-4f5f-8acc-a8f22991d463',
  audienceId: '13ba5179-b965-46fa-aae8-bf89433971a7',
  deletionPolicy: 'Delete',
  applied: {
    spec: {
      name: 'Audience 0',
      description: 'Generated audience number 0 for the benchmark',
      fields: [
        { name: 'email', type: 'string', identityNs: 'email', labels: [] },
        { name: 'field_0', type: 'string', labels: ['core/C2'] },
      ],
      sourceSpec: {
        path: 'exports/0.csv',
        type: 'file',
        sourceType: 'Cloud Storage',
        cloudType: 'S3',
        baseConnectionId: '1d1d4bc5-b527-46a3-9863-530246a61b2b',
      },
      ttlInDays: 30,
      labels: ['core/C1'],
      audienceType: 'people',
      originName: 'CUSTOM_UPLOAD',
      namespace: 'CustomerAudienceUpload',
      tags: ['bench'],
    },
    hash: 'c3792bd7e416c830',
    at: '2026-12-07T08:04:56.406Z',
  },
  runs: [],
  manifestFile: 'group-0/audience-0.yaml',
  sourceRoot: 'manifests',
};

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
