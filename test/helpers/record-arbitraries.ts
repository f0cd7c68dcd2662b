import fc from 'fast-check';
import { load, manifestArb } from './arbitraries.js';
import { appliedState } from './planning.js';

// Audience records of every shape the record schema (src/state/schema.ts) reads, for the
// fast validator's property tests against zod, in memory and through the PostgreSQL store.

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
export const fullRecord = fc
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
export const appliedRecord = manifestArb('a').map(
  (manifest) => JSON.parse(JSON.stringify(appliedState(load([manifest])).audiences[0])) as unknown,
);

/** A record as the bench's generator writes it (bench/), and as this release writes one. */
export const BENCH_RECORD = {
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
