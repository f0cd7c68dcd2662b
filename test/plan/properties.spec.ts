import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadManifests } from '../../src/manifest/load.js';
import { parseFull, parseManifestFile } from '../../src/manifest/parse.js';
import { plan } from '../../src/plan/plan.js';
import type { Plan } from '../../src/plan/schema.js';
import { EMPTY, NOW, options } from '../helpers/planning.js';
import { simulateApply } from '../helpers/simulate-apply.js';
import { load, sourceArb } from '../helpers/arbitraries.js';
import { runs } from '../helpers/property-runs.js';

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
        // No manifest joined into one file makes an emptied file, which holds the records that
        // name no file (one may come from it): the same source as one file is then no file.
        const oneFile =
          shuffled.length === 0
            ? []
            : [{ path: 'all.yaml', text: shuffled.map((f) => f.text).join('---\n') }];
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
      { numRuns: runs(100) },
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
      { numRuns: runs(100) },
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
      { numRuns: runs(500) },
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
      { numRuns: runs(1000) },
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
      { numRuns: runs(300) },
    );
  });
});
