import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseManifestFile } from '../../src/manifest/parse.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { runs } from '../helpers/property-runs.js';

function report(text: string): string[] {
  return parseManifestFile('a.yaml', text)
    .diagnostics.sort((a, b) => a.line - b.line || a.column - b.column)
    .map((d) => `${d.line}:${d.column} ${d.severity} ${d.message} [${d.rule}]`);
}

describe('one pass reports every problem of a file', () => {
  it('schema errors, rules across fields and warnings together', () => {
    const text = [
      'apiVersion: audiencectl/v1',
      'kind: ExternalAudience',
      'metadata:',
      '  name: gold',
      '  deletionpolicy: Orphan',
      'spec:',
      '  name: Gold',
      '  fields:',
      '    - { name: email, type: string }',
      '    - { name: email, type: text }',
      '  sourceSpec: { path: a b.csv, type: file, cloudType: S3 }',
      '  originName: MY_UPLOAD',
      '',
    ].join('\n');
    expect(report(text)).toEqual([
      '5:3 error metadata.deletionpolicy: unknown key "deletionpolicy"; did you mean "deletionPolicy"? [schema/unknown-key]',
      '9:5 warning spec.fields: no field has identityNs; newer API versions require at least one identity field [fields/identity-required]',
      '10:15 error spec.fields[1].name: field name "email" is used twice; fields are matched by name [fields/unique-names]',
      '10:28 error spec.fields[1].type: must be one of "string", "number", "long", "integer", "date", "datetime", "boolean", not string "text" [schema/invalid-value]',
      '11:15 error spec.sourceSpec.baseConnectionId: is required when cloudType is S3 (S3, GCS and SFTP sources need a base connection) [source/base-connection-required]',
      '11:23 warning spec.sourceSpec.path: path contains white space; newer API versions refuse it [source/path-spaces]',
      '12:15 warning spec.originName: originName "MY_UPLOAD": external audiences should use CUSTOM_UPLOAD [spec/origin-name]',
    ]);
  });
});

describe('unknown keys: did you mean', () => {
  const cases: Array<[string, string, string]> = [
    [
      'deletionPolicy: Delete',
      'deletionpolicy: Delete',
      'metadata.deletionpolicy: unknown key "deletionpolicy"; did you mean "deletionPolicy"?',
    ],
    ['sourceSpec:', 'sourcespec:', 'spec.sourcespec: unknown key "sourcespec"; did you mean "sourceSpec"?'],
    [
      'identityNs: email',
      'identityns: email',
      'spec.fields[0].identityns: unknown key "identityns"; did you mean "identityNs"?',
    ],
    [
      'cloudType: DLZ',
      'cloud_type: DLZ',
      'spec.sourceSpec.cloud_type: unknown key "cloud_type"; did you mean "cloudType"?',
    ],
    ['ttlInDays: 30', 'ttlInDyas: 30', 'spec.ttlInDyas: unknown key "ttlInDyas"; did you mean "ttlInDays"?'],
    [
      'onCreate: false',
      'oncreate: false',
      'ingestion.oncreate: unknown key "oncreate"; did you mean "onCreate"?',
    ],
  ];
  it.each(cases)('%s written as %s', (right, wrong, message) => {
    const text = manifestYaml('gold', {
      metadata: { deletionPolicy: 'Delete' },
      ingestion: { onCreate: false },
    }).replace(right, wrong);
    expect(text).toContain(wrong);
    expect(parseManifestFile('a.yaml', text).diagnostics.map((d) => d.message)).toContain(message);
  });

  it('inside sourceSpec.params as well, and no guess for a key unlike any', () => {
    const object = manifestObject('gold');
    const wrapped = {
      ...object,
      spec: { ...object.spec, sourceSpec: { params: { ...object.spec.sourceSpec, Path: 'x' } } },
    };
    const messages = parseManifestFile('a.yaml', `${stringify(wrapped)}colour: red\n`).diagnostics.map(
      (d) => d.message,
    );
    expect(messages).toContain('spec.sourceSpec.params.Path: unknown key "Path"; did you mean "path"?');
    expect(messages).toContain('colour: unknown key "colour"');
  });
});

describe('messages', () => {
  it('never print undefined, whatever is missing or mistyped', () => {
    const base = manifestObject('gold') as unknown as Record<string, unknown>;
    const anything = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string({ maxLength: 4 }),
      fc.integer(),
      fc.boolean(),
      fc.constant([]),
      fc.constant({}),
      fc.constant([{}]),
    );
    const paths = [
      ['apiVersion'],
      ['kind'],
      ['metadata'],
      ['metadata', 'name'],
      ['metadata', 'sandbox'],
      ['spec'],
      ['spec', 'fields'],
      ['spec', 'fields', 0],
      ['spec', 'fields', 0, 'type'],
      ['spec', 'sourceSpec'],
      ['spec', 'sourceSpec', 'cloudType'],
      ['spec', 'ttlInDays'],
      ['spec', 'originName'],
      ['ingestion'],
      ['ingestion', 'every'],
    ];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), anything), { maxLength: 3 }), (edits) => {
        const doc = structuredClone(base);
        for (const [path, value] of edits) {
          let node: Record<string | number, unknown> | undefined = doc;
          for (const key of path.slice(0, -1)) {
            const next: unknown = node?.[key];
            node =
              typeof next === 'object' && next !== null
                ? (next as Record<string | number, unknown>)
                : undefined;
          }
          if (node) node[path.at(-1)!] = value;
        }
        const result = parseManifestFile('a.yaml', stringify(doc));
        for (const d of [...result.diagnostics, ...(result.notes ?? [])]) {
          expect(d.message).not.toMatch(/undefined|\[object Object\]/);
          expect(d.line).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: runs(150), seed: 20261130 },
    );
  });
});

describe('a sourceSpec mixing the flat and the params shapes (review 31, L-2)', () => {
  const base = manifestYaml('gold');
  const errors = (text: string) =>
    parseManifestFile('a.yaml', text)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => `${d.line}:${d.column} ${d.message} [${d.rule}]`);

  it('params beside the four flat keys: one line naming both shapes, never "did you mean" the key refused', () => {
    const text = base.replace(/sourceSpec:\n/, 'sourceSpec:\n    params: { path: a.csv }\n');
    expect(errors(text)).toEqual([
      '17:5 spec.sourceSpec: the two shapes of a source cannot be mixed: "params" beside the flat keys "path", "type", "sourceType", "cloudType"; write the keys either all flat or all under "params" [source/mixed-shapes]',
    ]);
  });

  it('one flat key beside params (the wrapped shape otherwise whole): the same line, naming that key', () => {
    const text = base.replace(
      /sourceSpec:\n( {4}.*\n)+/,
      'sourceSpec:\n    sourceType: Cloud Storage\n    params: { path: a.csv, type: file }\n',
    );
    expect(errors(text)).toEqual([
      '18:5 spec.sourceSpec: the two shapes of a source cannot be mixed: "params" beside the flat key "sourceType"; write the keys either all flat or all under "params" [source/mixed-shapes]',
    ]);
  });

  it('an unknown key is never offered itself as the key meant', () => {
    const text = base.replace(/sourceSpec:\n/, 'sourceSpec:\n    params: { path: a.csv }\n');
    const messages = parseManifestFile('a.yaml', text).diagnostics.map((d) => d.message);
    expect(messages.join('\n')).not.toMatch(/unknown key "(\w+)"; did you mean "\1"\?/);
  });
});

describe('a number YAML reads as no finite number (review 31, L-5a)', () => {
  it.each([
    ['1e400', 'spec.ttlInDays: must be a finite number, not Infinity'],
    ['-.inf', 'spec.ttlInDays: must be a finite number, not -Infinity'],
    ['.nan', 'spec.ttlInDays: must be a finite number, not NaN'],
  ])('ttlInDays: %s', (written, message) => {
    const text = manifestYaml('gold').replace('ttlInDays: 30', `ttlInDays: ${written}`);
    expect(parseManifestFile('a.yaml', text).diagnostics.map((d) => d.message)).toEqual([message]);
  });
});
