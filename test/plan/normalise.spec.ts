import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { specHash } from '../../src/plan/normalise.js';
import { plan } from '../../src/plan/plan.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, options } from '../helpers/planning.js';

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
