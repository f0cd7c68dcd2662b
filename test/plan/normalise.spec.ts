import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AudienceSpec } from '../../src/manifest/schema.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';
import { plan } from '../../src/plan/plan.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { referenceNormalise } from '../helpers/normalise-reference.js';
import { appliedState, options } from '../helpers/planning.js';
import { runs } from '../helpers/property-runs.js';

type Overrides = Parameters<typeof manifestYaml>[1];

const base: { fields: Array<Record<string, unknown>>; sourceSpec: Record<string, string> } = {
  fields: [
    { name: 'email', type: 'string', identityNs: 'email' },
    { name: 'tier', type: 'string', labels: ['core/C2', 'custom/x'] },
  ],
  sourceSpec: { path: 'a.csv', type: 'file', sourceType: 'Cloud Storage', cloudType: 'DLZ' },
};

/** Each row: a manifest written differently that means the same audience: no step may be planned. */
const rules: Array<[string, Overrides, Overrides]> = [
  ['ttlInDays "40" equals 40', { spec: { ttlInDays: 40 } }, { spec: { ttlInDays: '40' } }],
  ['ttlInDays absent equals the default 30', { spec: { ttlInDays: 30 } }, { spec: { ttlInDays: undefined } }],
  ['audienceType absent equals people', { spec: { audienceType: 'people' } }, { spec: {} }],
  [
    'namespace absent equals CustomerAudienceUpload',
    { spec: { namespace: 'CustomerAudienceUpload' } },
    { spec: {} },
  ],
  [
    'sourceSpec.params.* equals sourceSpec.*',
    { spec: { sourceSpec: base.sourceSpec } },
    { spec: { sourceSpec: { params: base.sourceSpec } } },
  ],
  [
    'identity namespace codes are case-insensitive',
    { spec: { fields: [{ name: 'email', type: 'string', identityNs: 'email' }] } },
    { spec: { fields: [{ name: 'email', type: 'string', identityNs: 'Email' }] } },
  ],
  [
    'labels are a set (order)',
    { spec: { labels: ['core/C1', 'core/C2'] } },
    { spec: { labels: ['core/C2', 'core/C1'] } },
  ],
  [
    'labels are a set (repeats)',
    { spec: { labels: ['core/C1'] } },
    { spec: { labels: ['core/C1', 'core/C1'] } },
  ],
  ['tags are a set', { spec: { tags: ['a', 'b'] } }, { spec: { tags: ['b', 'a', 'b'] } }],
  ['absent labels equal an empty list', { spec: { labels: [] } }, { spec: { labels: undefined } }],
  [
    'fields are matched by name, not position',
    { spec: { fields: [...base.fields] } },
    { spec: { fields: [...base.fields].reverse() } },
  ],
  [
    'field labels are a set',
    { spec: { fields: [{ name: 'email', type: 'string', identityNs: 'email', labels: ['x', 'y'] }] } },
    { spec: { fields: [{ name: 'email', type: 'string', identityNs: 'email', labels: ['y', 'x'] }] } },
  ],
  [
    'absent description equals an empty one',
    { spec: { description: '' } },
    { spec: { description: undefined } },
  ],
];

describe('normalisation: nothing flaps', () => {
  it.each(rules)('%s', (_rule, before, after) => {
    const state = appliedState(loadTexts({ 'a.yaml': manifestYaml('gold', before) }));
    const desired = loadTexts({ 'a.yaml': manifestYaml('gold', after) });
    expect(desired.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(plan(desired, state, options()).steps).toEqual([]);
  });
});

describe('specHash', () => {
  it('is the first 16 hex digits of the SHA-256 of the normal spec as JSON, as records written before stored it', () => {
    const spec = appliedState(loadTexts({ 'a.yaml': manifestYaml('gold') })).audiences[0]!.applied!.spec;
    const expected = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
    expect(specHash(spec)).toBe(expected);
    expect(specHash({ ...spec, description: 'ünïcode ✓' })).toBe(
      createHash('sha256')
        .update(JSON.stringify({ ...spec, description: 'ünïcode ✓' }))
        .digest('hex')
        .slice(0, 16),
    );
  });
});

describe('normaliseSpec', () => {
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const words = fc.array(fc.constantFrom('b', 'a', 'C', 'a ', 'é'), { maxLength: 4 });
  const withoutUndefined = <T extends object>(object: T): T =>
    Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
  const fieldArb = fc
    .record({
      name: fc.constantFrom('email', 'tier', 'Tier', 'points'),
      type: fc.constantFrom('string', 'integer', 'date'),
      identityNs: maybe(fc.constantFrom('Email', 'ecid', 'ECID')),
      labels: maybe(words),
    })
    .map(withoutUndefined);
  const paramsArb = fc
    .record({
      path: fc.constantFrom('a.csv', 'b/'),
      type: fc.constantFrom('file' as const, 'folder' as const),
      sourceType: maybe(fc.constant('Cloud Storage' as const)),
      cloudType: maybe(fc.constantFrom('DLZ' as const, 'S3' as const)),
      baseConnectionId: maybe(fc.constantFrom('c1', 'c2')),
    })
    .map(withoutUndefined);
  const specArb = fc
    .record({
      name: fc.constantFrom('A', 'B'),
      description: maybe(fc.constantFrom('', 'd')),
      customAudienceId: maybe(fc.constantFrom('x1', 'x2')),
      fields: fc.array(fieldArb, { minLength: 1, maxLength: 4 }),
      sourceSpec: fc.oneof(
        paramsArb,
        paramsArb.map((params) => ({ params })),
      ),
      ttlInDays: maybe(fc.integer({ min: 1, max: 90 })),
      labels: maybe(words),
      audienceType: maybe(fc.constant('people' as const)),
      originName: fc.constantFrom('CUSTOM_UPLOAD', 'o'),
      namespace: maybe(fc.constantFrom('n1', 'CustomerAudienceUpload')),
      tags: maybe(words),
    })
    .map((spec) => withoutUndefined(spec) as AudienceSpec);

  it('gives what the reference gives, to the JSON (the hash) and the key order', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const ours = normaliseSpec(spec);
        const expected = referenceNormalise(spec);
        expect(ours).toStrictEqual(expected);
        expect(JSON.stringify(ours)).toBe(JSON.stringify(expected));
      }),
      { numRuns: runs(2000) },
    );
  });
});
