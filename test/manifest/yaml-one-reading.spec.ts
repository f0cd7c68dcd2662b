import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseWithoutFullParser } from '../../src/manifest/parse-fast.js';
import { DEFAULT_PARSE_LIMITS, parseFull, parseManifestFile } from '../../src/manifest/parse.js';
import { manifestYaml } from '../helpers/manifests.js';
import { runs } from '../helpers/property-runs.js';
import { scalarForm } from '../helpers/yaml-forms.js';

// One manifest text, one reading (review 31, M-2): the fast path (the subset reader and
// js-yaml) and the full parser (`yaml`) must give the same result for every text, so a
// document never changes meaning when a second document, a long comment or an anchor is
// added to its file. The full parser's reading (YAML 1.2 core, or the version a `%YAML`
// directive names) is the one; the fast path reads the same or leaves the text to it.

const quiet = { ingestion: { onCreate: false } };
const LONG_COMMENT = `# ${'x'.repeat(70_000)}\n`;

/** The manifest `ya` with `ttlInDays: <ttl>`, under `head` (a directive, say). */
function withTtl(ttl: string, head = ''): string {
  const text = manifestYaml('ya', { ...quiet, spec: { ttlInDays: 40 } });
  expect(text).toContain('  ttlInDays: 40\n');
  return head + text.replace('ttlInDays: 40', `ttlInDays: ${ttl}`);
}

/** The file's diagnostics, then the ttlInDays of each manifest it defines. */
const ttlOf = (text: string): unknown[] => {
  const result = parseManifestFile('ya.yaml', text);
  return [
    ...result.diagnostics.map((d) => `${d.line}: ${d.message} [${d.rule}]`),
    ...result.manifests.map((m) => m.manifest.spec.ttlInDays),
  ];
};

describe('review 31, M-2: a %YAML 1.1 file is read by its directive, however many documents it holds', () => {
  const one = withTtl('030', '%YAML 1.1\n---\n');
  it.each([
    ['one document', one],
    ['two documents', `${one}---\n${manifestYaml('yb', quiet)}`],
    ['a comment past 64 KiB', `${one}${LONG_COMMENT}`],
    ['an anchor', one.replace('originName: CUSTOM_UPLOAD', 'originName: &o CUSTOM_UPLOAD')],
  ])('%s: ttlInDays: 030 is 24 (YAML 1.1 octal)', (_name, text) => {
    expect(ttlOf(text)).toEqual(text.includes('yb') ? [24, 30] : [24]);
  });

  it('a %YAML 1.1 file: `onCreate: yes` is true, as the full parser reads it', () => {
    const text = `%YAML 1.1\n---\n${manifestYaml('ya', quiet).replace('onCreate: false', 'onCreate: yes')}`;
    expect(text).toContain('onCreate: yes');
    const result = parseManifestFile('ya.yaml', text);
    expect(result.manifests.map((m) => m.manifest.ingestion.onCreate)).toEqual([true]);
  });

  it('without the directive, ttlInDays: 030 is 30 (YAML 1.2) in every file', () => {
    const text = withTtl('030');
    expect(ttlOf(text)).toEqual([30]);
    expect(ttlOf(`${text}${LONG_COMMENT}`)).toEqual([30]);
  });
});

describe('review 31, M-2b: integer spellings YAML 1.2 core does not have are strings, in every file', () => {
  it.each([
    ['0b11110', '21: spec.ttlInDays: must be a number, not string "0b11110" [schema/invalid-type]'],
    ['+0x1E', '21: spec.ttlInDays: must be a number, not string "+0x1E" [schema/invalid-type]'],
    ['-0x1E', '21: spec.ttlInDays: must be a number, not string "-0x1E" [schema/invalid-type]'],
    ['+0o36', '21: spec.ttlInDays: must be a number, not string "+0o36" [schema/invalid-type]'],
    ['1_0', '21: spec.ttlInDays: must be a number, not string "1_0" [schema/invalid-type]'],
    ['1:30', '21: spec.ttlInDays: must be a number, not string "1:30" [schema/invalid-type]'],
  ])('ttlInDays: %s is refused alone and in a two-document file', (ttl, error) => {
    const alone = withTtl(ttl);
    expect(ttlOf(alone)).toEqual([error]);
    expect(ttlOf(`${alone}---\n${manifestYaml('yb', quiet)}`)).toEqual([error, 30]);
  });

  it.each([
    ['0x1E', 30],
    ['0o36', 30],
    ['036', 36],
    ['+36', 36],
  ])('ttlInDays: %s is %d, alone and past 64 KiB', (ttl, value) => {
    expect(ttlOf(withTtl(ttl))).toEqual([value]);
    expect(ttlOf(`${withTtl(ttl)}${LONG_COMMENT}`)).toEqual([value]);
  });

  it.each([
    ['-.5', 'spec.description: must be a string, not number -0.5'],
    ['+.5', 'spec.description: must be a string, not number 0.5'],
  ])('description: %s is a number (YAML 1.2 core), an error alone too', (value, message) => {
    const text = manifestYaml('ya', quiet).replace(/^ {2}description: .*$/m, `  description: ${value}`);
    expect(text).toContain(`\n  description: ${value}\n`);
    const result = parseManifestFile('ya.yaml', text);
    expect(result.diagnostics.map((d) => d.message)).toEqual([message]);
  });
});

/** Where a form goes in a manifest: fields that take numbers, strings, booleans, lists. */
const SLOTS = ['TTL', 'REQUEST', 'START', 'ONCREATE', 'DESCRIPTION', 'TAG', 'LABEL'] as const;

/** A manifest whose slots (`SLOT_TTL`...) are each a form or an ordinary value. */
const slotted = stringify({
  apiVersion: 'audiencectl/v1',
  kind: 'ExternalAudience',
  metadata: { name: 'ya' },
  spec: {
    name: 'Ya',
    description: 'SLOT_DESCRIPTION',
    fields: [{ name: 'id', type: 'string', identityNs: 'email' }],
    sourceSpec: { path: 'a.csv', type: 'file', cloudType: 'DLZ' },
    ttlInDays: 'SLOT_TTL',
    tags: ['SLOT_TAG'],
    labels: ['SLOT_LABEL'],
    originName: 'CUSTOM_UPLOAD',
  },
  ingestion: { onCreate: 'SLOT_ONCREATE', request: 'SLOT_REQUEST', dataFilterStartTime: 'SLOT_START' },
});
const ORDINARY: Record<(typeof SLOTS)[number], string> = {
  TTL: '30',
  REQUEST: 'r1',
  START: '764245635',
  ONCREATE: 'false',
  DESCRIPTION: 'one',
  TAG: 't1',
  LABEL: 'core/C1',
};

const manifestText = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...SLOTS), scalarForm, fc.constantFrom('plain', 'plain', 'flow')), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.constantFrom(
      '',
      '',
      '',
      '%YAML 1.1\n---\n',
      '%YAML 1.2\n---\n',
      '# c\n%YAML 1.1\n--- # c\n',
      '%TAG !e! tag:e.com,2000:\n---\n',
    ),
    // Something the subset reader leaves to the full parser (a tab in a comment), or nothing.
    fc.constantFrom('', '#\tto js-yaml\n'),
  )
  .map(([forms, head, tail]) => {
    let text = slotted;
    const set = new Map(forms.map(([slot, form, style]) => [slot, [form, style] as const]));
    for (const slot of SLOTS) {
      const [form, style] = set.get(slot) ?? [ORDINARY[slot], 'plain'];
      const flowed = style === 'flow' && (slot === 'TAG' || slot === 'LABEL');
      text = text.replace(flowed ? `\n    - SLOT_${slot}` : `SLOT_${slot}`, flowed ? ` [ ${form} ]` : form);
    }
    return `${head}${text}${tail}`;
  });

describe('the fast path reads what the full parser reads, or leaves the text to it', () => {
  it('on manifests holding the spellings where YAML readers differ', () => {
    let fast = 0;
    fc.assert(
      fc.property(manifestText, (text) => {
        const quick = parseWithoutFullParser('ya.yaml', text, DEFAULT_PARSE_LIMITS);
        if (quick) fast += 1;
        expect(parseManifestFile('ya.yaml', text), text).toEqual(parseFull('ya.yaml', text));
      }),
      { numRuns: runs(1000) },
    );
    // The fast path is taken for some (the property is not about the full parser alone).
    expect(fast).toBeGreaterThan(0);
  });
});
