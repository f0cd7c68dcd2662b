import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadManifests } from '../../src/manifest/load.js';
import type { ManifestInput } from '../../src/manifest/schema.js';

/** Generators of manifests for property tests: varied specs, two sandboxes, runs on create. */
const label = fc.constantFrom('core/C1', 'core/C2', 'core/C3', 'custom/x');
const fieldArb = fc.record({
  name: fc.constantFrom('email', 'tier', 'points', 'since'),
  type: fc.constantFrom('string', 'integer', 'date'),
  labels: fc.array(label, { maxLength: 3 }),
});

export const manifestArb = (key: string): fc.Arbitrary<ManifestInput> =>
  fc
    .record({
      name: fc.constantFrom('A', 'B'),
      description: fc.constantFrom('one', 'two', ''),
      ttl: fc.oneof(fc.integer({ min: 1, max: 90 }), fc.constantFrom('30', '45')),
      labels: fc.array(label, { maxLength: 3 }),
      tags: fc.array(fc.constantFrom('t1', 't2'), { maxLength: 2 }),
      fields: fc.uniqueArray(fieldArb, { selector: (f) => f.name, minLength: 1, maxLength: 3 }),
      ns: fc.constantFrom('email', 'Email', 'ECID'),
      wrapped: fc.boolean(),
      path: fc.constantFrom('a.csv', 'b.csv'),
      sandbox: fc.constantFrom('prod', 'dev'),
      orphan: fc.boolean(),
      onCreate: fc.boolean(),
      request: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
    })
    .map((r) => {
      const source = { path: r.path, type: 'file' as const, cloudType: 'DLZ' as const };
      return {
        apiVersion: 'audiencectl/v1',
        kind: 'ExternalAudience',
        metadata: { name: key, sandbox: r.sandbox, deletionPolicy: r.orphan ? 'Orphan' : 'Delete' },
        spec: {
          // Unique per key: two audiences of one sandbox may not share a name.
          name: `${r.name} ${key}`,
          description: r.description,
          fields: [{ name: 'id', type: 'string', identityNs: r.ns }, ...r.fields],
          sourceSpec: r.wrapped ? { params: source } : source,
          ttlInDays: r.ttl,
          labels: r.labels,
          tags: r.tags,
          originName: 'CUSTOM_UPLOAD',
        },
        ingestion: { onCreate: r.onCreate, ...(r.request ? { request: r.request } : {}) },
      } satisfies ManifestInput;
    });

/** A source: up to 6 audiences (some keys absent), each in its own file. */
export const sourceArb = fc
  .subarray(['a', 'b', 'c', 'd', 'e', 'f'])
  .chain((keys) => fc.tuple(...keys.map((k) => manifestArb(k))))
  .map((manifests) => manifests);

export const load = (manifests: ManifestInput[]) =>
  loadManifests(
    manifests.map((m) => ({ path: `${m.metadata.name}.yaml`, text: stringify(m) })),
    { defaultSandbox: 'prod' },
  );
