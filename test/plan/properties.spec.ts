import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadManifests } from '../../src/manifest/load.js';
import { parseFull, parseManifestFile } from '../../src/manifest/parse.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { plan } from '../../src/plan/plan.js';
import type { Plan } from '../../src/plan/schema.js';
import { EMPTY, NOW, options } from '../helpers/planning.js';
import { simulateApply } from '../helpers/simulate-apply.js';

const label = fc.constantFrom('core/C1', 'core/C2', 'core/C3', 'custom/x');
const fieldArb = fc.record({
  name: fc.constantFrom('email', 'tier', 'points', 'since'),
  type: fc.constantFrom('string', 'integer', 'date'),
  labels: fc.array(label, { maxLength: 3 }),
});

const manifestArb = (key: string): fc.Arbitrary<ManifestInput> =>
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
const sourceArb = fc
  .subarray(['a', 'b', 'c', 'd', 'e', 'f'])
  .chain((keys) => fc.tuple(...keys.map((k) => manifestArb(k))))
  .map((manifests) => manifests);

const load = (manifests: ManifestInput[]) =>
  loadManifests(
    manifests.map((m) => ({ path: `${m.metadata.name}.yaml`, text: stringify(m) })),
    { defaultSandbox: 'prod' },
  );

const permissive = options({
  allowReplace: true,
  allowMassDelete: true,
  allowEmptySource: true,
  runBudget: { perSandboxPerDay: 1000, perAudiencePerDay: 1000 },
});

function withoutSources(result: Plan): Plan {
  return { ...result, steps: result.steps.map(({ source: _source, ...step }) => step) };
}

describe('planner properties', () => {
  it('planning again after applying a plan gives an empty plan', () => {
    fc.assert(
      fc.property(sourceArb, sourceArb, (before, after) => {
        const start = simulateApply(plan(load(before), EMPTY, permissive), EMPTY, NOW);
        const first = plan(load(after), start, permissive);
        const applied = simulateApply(first, start, NOW + 1);
        // A key whose sandbox changed is a move: blocked until a person decides, so it stays.
        const moves = first.steps.filter((s) => s.kind === 'move');
        expect(plan(load(after), applied, { ...permissive, now: NOW + 1 }).steps).toEqual(moves);
      }),
      { numRuns: 150 },
    );
  });

  it('a plan does not depend on file or document order', () => {
    fc.assert(
      fc.property(sourceArb, sourceArb, fc.integer(), (before, after, seed) => {
        const applied = simulateApply(plan(load(before), EMPTY, permissive), EMPTY, NOW);
        // Records without a manifest file, as written before it was recorded: one file or many is the same.
        const state = {
          ...applied,
          audiences: applied.audiences.map(({ manifestFile: _file, ...record }) => record),
        };
        const files = after.map((m) => ({ path: `${m.metadata.name}.yaml`, text: stringify(m) }));
        const shuffled = fc.sample(
          fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }),
          { seed, numRuns: 1 },
        )[0]!;
        const oneFile = [{ path: 'all.yaml', text: shuffled.map((f) => f.text).join('---\n') }];
        const reference = withoutSources(
          plan(loadManifests(files, { defaultSandbox: 'prod' }), state, options()),
        );
        expect(
          withoutSources(plan(loadManifests(shuffled, { defaultSandbox: 'prod' }), state, options())),
        ).toEqual(reference);
        expect(
          withoutSources(plan(loadManifests(oneFile, { defaultSandbox: 'prod' }), state, options())),
        ).toEqual(reference);
      }),
      { numRuns: 100 },
    );
  });
});

describe('fast and full parsing agree', () => {
  it('on generated manifests', () => {
    fc.assert(
      fc.property(sourceArb, (manifests) => {
        for (const m of manifests) {
          const text = stringify(m);
          expect(parseManifestFile('m.yaml', text)).toEqual(parseFull('m.yaml', text));
        }
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ['an unquoted date stays a string', 'request: 2026-11-20'],
    ['hex and octal integers', 'dataFilterStartTime: 0x1E'],
    ['capitalised booleans', 'onCreate: True'],
    ['a null', 'every: ~'],
    ['an underscore in a number', 'dataFilterStartTime: 1_000'],
    ['a float', 'dataFilterStartTime: 1.0'],
    ['a leading comment and document marker', 'request: x'],
  ])('%s', (_name, line) => {
    const minimal = {
      apiVersion: 'audiencectl/v1',
      kind: 'ExternalAudience',
      metadata: { name: 'a' },
      spec: {
        name: 'A',
        fields: [{ name: 'e', type: 'string', identityNs: 'email' }],
        sourceSpec: { path: 'p', type: 'file' },
        originName: 'CUSTOM_UPLOAD',
      },
    };
    const text = `# comment\n---\n${stringify(minimal)}ingestion:\n  ${line}\n`;
    expect(parseManifestFile('m.yaml', text)).toEqual(parseFull('m.yaml', text));
  });
});

describe('loader robustness', () => {
  it('random bytes never throw: they give diagnostics', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const result = parseManifestFile('random.yaml', Buffer.from(bytes).toString('utf8'));
        for (const d of result.diagnostics) expect(d.file).toBe('random.yaml');
      }),
      { numRuns: 500 },
    );
  });

  it('random YAML-looking text never throws', () => {
    const token = fc.constantFrom(
      'a:',
      ' ',
      '\n',
      '- ',
      '[',
      ']',
      '{',
      '}',
      '&x ',
      '*x',
      '---\n',
      '"',
      "'",
      ':',
      '#',
      'metadata:',
      'name: x',
      '<<: *x',
      '!!str ',
      '|',
      '>',
      '? ',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        expect(() => parseManifestFile('y.yaml', tokens.join(''))).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('random objects as YAML never throw and never validate by accident', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), (value) => {
        let text: string;
        try {
          text = stringify(value);
        } catch {
          return;
        }
        // yaml's stringify gives undefined for undefined, whatever its type says.
        if (typeof text !== 'string') return;
        const result = parseManifestFile('o.yaml', text);
        expect(result.manifests).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
