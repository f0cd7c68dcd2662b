import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Manifest } from '../../src/manifest/schema.js';
import { validateManifestFast } from '../../src/manifest/validate-fast.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { editJson, type JsonEdit } from '../helpers/json-edits.js';
import { runs } from '../helpers/property-runs.js';

/** The fast validator gives exactly zod's output (same keys, same order, same values), or defers. */
function agrees(document: unknown): boolean {
  const fast = validateManifestFast(document);
  if (fast === undefined) return false;
  const zod = Manifest.safeParse(document);
  expect(zod.success, JSON.stringify(document)).toBe(true);
  expect(isDeepStrictEqual(fast, zod.data), JSON.stringify(document)).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  return true;
}

const text = fc.constantFrom('x', 'A b', ' padded ', 'core/C1', 'é', 'CUSTOM_UPLOAD', 'a.csv', 'email');
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Manifests using every optional key of the schema, in both source shapes. */
const fullManifest = fc
  .record({
    name: fc.constantFrom('a', 'audience-1', 'x9'),
    sandbox: maybe(fc.constantFrom('prod', 'dev-1')),
    deletionPolicy: maybe(fc.constantFrom('Delete', 'Orphan')),
    allowReplace: maybe(fc.boolean()),
    adopt: maybe(fc.boolean()),
    specName: text,
    description: maybe(fc.constantFrom('', ' d ', 'two\nlines', 'tab\there')),
    customAudienceId: maybe(text),
    fields: fc.array(
      fc.record(
        {
          name: text,
          type: fc.constantFrom('string', 'number', 'long', 'integer', 'date', 'datetime', 'boolean'),
          identityNs: text,
          labels: fc.array(text, { maxLength: 2 }),
        },
        { requiredKeys: ['name', 'type'] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
    source: fc.record(
      {
        path: text,
        type: fc.constantFrom('file', 'folder'),
        sourceType: fc.constant('Cloud Storage'),
        cloudType: fc.constantFrom('S3', 'DLZ', 'GCS', 'SFTP'),
        baseConnectionId: text,
      },
      { requiredKeys: ['path', 'type'] },
    ),
    wrapped: fc.boolean(),
    ttlInDays: maybe(fc.oneof(fc.integer({ min: 1, max: 90 }), fc.constantFrom('30', ' 7 ', '090'))),
    labels: maybe(fc.array(text, { maxLength: 2 })),
    audienceType: maybe(fc.constant('people')),
    namespace: maybe(text),
    tags: maybe(fc.array(text, { maxLength: 2 })),
    ingestion: maybe(
      fc.record(
        {
          onCreate: fc.boolean(),
          every: fc.constantFrom('30m', '24h', '7d'),
          request: fc.oneof(text, fc.integer({ min: 0, max: 99 }), fc.constant(1.5)),
          dataFilterStartTime: fc.constantFrom(0, 1_700_000_000),
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map((r) => {
    const defined = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    return defined({
      apiVersion: 'audiencectl/v1',
      kind: 'ExternalAudience',
      metadata: defined({
        name: r.name,
        sandbox: r.sandbox,
        deletionPolicy: r.deletionPolicy,
        allowReplace: r.allowReplace,
        adopt: r.adopt,
      }),
      spec: defined({
        name: r.specName,
        description: r.description,
        customAudienceId: r.customAudienceId,
        fields: r.fields,
        sourceSpec: r.wrapped ? { params: r.source } : r.source,
        ttlInDays: r.ttlInDays,
        labels: r.labels,
        audienceType: r.audienceType,
        originName: 'CUSTOM_UPLOAD',
        namespace: r.namespace,
        tags: r.tags,
      }),
      ingestion: r.ingestion,
    });
  });

/** Values the schema accepts in some places and refuses in others, or reads unusually. */
const odd = fc.constantFrom<unknown>(
  ...[
    '',
    ' ',
    ' x ',
    'x',
    'A b',
    'a\u202Eb',
    'a\u200Bb',
    'a\u200D',
    'line\nbreak',
    '\t',
    'a\u0085',
    '\u00A0x',
  ],
  ...[0, 1, -1, 7, 40, 90, 91, 1.5, Number.NaN, Infinity, -0, 2 ** 53, -5, 1e21],
  ...['40', ' 40 ', '040', '4e1', '0x10', '', '1.5', '-1', '\u00A040'],
  ...[true, false, null, undefined, [], ['a'], [' a '], [''], [1], {}, { a: 1 }],
  ...['people', 'Delete', 'Orphan', 'file', 'folder', 'Cloud Storage', 'S3', 'DLZ', 'string', 'date'],
  ...['30m', '0m', '24h', '7x', 'CUSTOM_UPLOAD', 'UPPER', 'a-b', '-a', 'a'.repeat(63), 'a'.repeat(64)],
  ...['audiencectl/v1', 'ExternalAudience'],
  { params: { path: 'p', type: 'file' } },
  { path: 'p', type: 'file', params: { path: 'p', type: 'file' } },
  [{ name: 'e', type: 'string' }],
);
const oddKey = fc.constantFrom(
  'name',
  'type',
  'params',
  'labels',
  'extra',
  'sandbox',
  'request',
  'constructor',
);

const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('set', 'set', 'set', 'delete', 'add', 'pad', 'nullProto', 'protoKey'),
  fc.oneof(
    odd,
    fc.integer({ min: -2, max: 100 }),
    fc.integer({ min: -2, max: 100 }).map(String),
    fc.integer({ min: 62, max: 65 }).map((n) => 'a'.repeat(n)),
  ),
  oddKey,
) as fc.Arbitrary<JsonEdit>;

describe('the fast validator gives what zod gives, or leaves the document to zod', () => {
  it('accepts every generated manifest, as zod does', () => {
    fc.assert(
      fc.property(fc.oneof(fullManifest, manifestArb('a')), (document) => {
        expect(agrees(document), JSON.stringify(document)).toBe(true);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('on generated manifests with edits', () => {
    let accepted = 0;
    let tried = 0;
    fc.assert(
      fc.property(
        fc.oneof(fullManifest, manifestArb('a')),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (document, mutations) => {
          tried += 1;
          if (agrees(editJson(document, mutations))) accepted += 1;
        },
      ),
      { numRuns: runs(4000) },
    );
    // The edits both keep documents valid (padding, other valid values) and break them
    // (a proportion: only meaningful on enough cases, not on CI's scaled-down Node 20 pass).
    if (tried >= 500) {
      expect(accepted).toBeGreaterThan(tried / 20);
      expect(accepted).toBeLessThan(tried);
    }
  });

  it.each([
    ['an unknown key', { extra: 1 }],
    ['an undefined value', { ingestion: undefined }],
    ['a number as the name', { metadata: { name: 1 } }],
    ['a null ingestion', { ingestion: null }],
  ])('defers %s', (_name, change) => {
    const base = fc.sample(fullManifest, { seed: 1, numRuns: 1 })[0]!;
    expect(validateManifestFast({ ...base, ...change })).toBeUndefined();
  });

  it('fills the defaults as the schema does', () => {
    const minimal = {
      apiVersion: 'audiencectl/v1',
      kind: 'ExternalAudience',
      metadata: { name: 'a' },
      spec: {
        name: ' A ',
        fields: [{ name: 'e', type: 'string' }],
        sourceSpec: { path: 'p', type: 'file' },
        originName: 'CUSTOM_UPLOAD',
        ttlInDays: ' 40 ',
      },
    };
    expect(JSON.stringify(validateManifestFast(minimal))).toBe(
      JSON.stringify({
        apiVersion: 'audiencectl/v1',
        kind: 'ExternalAudience',
        metadata: { name: 'a', deletionPolicy: 'Delete', allowReplace: false },
        spec: {
          name: 'A',
          fields: [{ name: 'e', type: 'string' }],
          sourceSpec: { path: 'p', type: 'file' },
          ttlInDays: 40,
          originName: 'CUSTOM_UPLOAD',
        },
        ingestion: { onCreate: true },
      }),
    );
  });
});
