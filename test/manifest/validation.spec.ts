import { describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../src/manifest/parse.js';
import { loadTexts } from '../helpers/manifests.js';

const VALID = `apiVersion: audiencectl/v1
kind: ExternalAudience
metadata:
  name: gold
spec:
  name: Gold
  description: Gold tier
  fields:
    - name: email
      type: string
      identityNs: email
  sourceSpec:
    path: crm/gold.csv
    type: file
    cloudType: S3
    baseConnectionId: 1d1d4bc5-b527-46a3-9863-530246a61b2b
  originName: CUSTOM_UPLOAD
`;

/** Replaces one line of VALID (1-based) with `replacement` lines. */
function withLine(line: number, ...replacement: string[]): string {
  const lines = VALID.split('\n');
  lines.splice(line - 1, 1, ...replacement);
  return lines.join('\n');
}

function errorsOf(text: string) {
  return parseManifestFile('a.yaml', text).diagnostics.filter((d) => d.severity === 'error');
}

describe('manifest validation rules', () => {
  it('accepts the valid manifest', () => {
    const result = parseManifestFile('a.yaml', VALID);
    expect(result.diagnostics).toEqual([]);
    expect(result.manifests).toHaveLength(1);
  });

  const cases: Array<{ rule: string; text: string; line: number; column: number; message: RegExp }> = [
    {
      rule: 'schema/invalid-value',
      text: withLine(1, 'apiVersion: audiencectl/v2'),
      line: 1,
      column: 13,
      message: /apiVersion: must be "audiencectl\/v1"/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(2, 'kind: Audience'),
      line: 2,
      column: 7,
      message: /kind: must be "ExternalAudience"/,
    },
    {
      rule: 'schema/invalid-format',
      text: withLine(4, '  name: Gold_Members'),
      line: 4,
      column: 9,
      message: /metadata.name: must be lowercase/,
    },
    {
      rule: 'schema/too-big',
      text: withLine(4, `  name: ${'a'.repeat(64)}`),
      line: 4,
      column: 9,
      message: /at most 63 characters/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(4, '  name: gold', '  deletionPolicy: Keep'),
      line: 5,
      column: 19,
      message: /"Delete", "Orphan"/,
    },
    {
      rule: 'schema/unknown-key',
      text: withLine(4, '  name: gold', '  nmae: typo'),
      line: 5,
      column: 3,
      message: /unknown key "nmae"/,
    },
    {
      rule: 'schema/invalid-type',
      text: withLine(6, '  name: 12'),
      line: 6,
      column: 9,
      message: /spec.name: must be a string, not number 12/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(10, '      type: text'),
      line: 10,
      column: 13,
      message:
        /spec.fields\[0\].type: must be one of "string", "number", "long", "integer", "date", "datetime", "boolean"/,
    },
    {
      rule: 'schema/invalid-type',
      text: withLine(9, '    - type: string').replace('      type: string\n', ''),
      line: 9,
      column: 7,
      message: /spec.fields\[0\].name: is required/,
    },
    {
      rule: 'schema/too-small',
      text: withLine(8, '  fields: []').replace(
        / {4}- name: email\n {6}type: string\n {6}identityNs: email\n/,
        '',
      ),
      line: 8,
      column: 11,
      message: /at least one field/,
    },
    {
      rule: 'fields/unique-names',
      text: withLine(11, '      identityNs: email', '    - name: email', '      type: number'),
      line: 12,
      column: 13,
      message: /field name "email" is used twice/,
    },
    {
      rule: 'schema/invalid-type',
      text: VALID.replace('    path: crm/gold.csv\n', ''),
      line: 13,
      column: 5,
      message: /spec.sourceSpec.path: is required/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(14, '    type: table'),
      line: 14,
      column: 11,
      message: /"file", "folder"/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(15, '    cloudType: Azure'),
      line: 15,
      column: 16,
      message: /"S3", "DLZ", "GCS", "SFTP"/,
    },
    {
      rule: 'source/base-connection-required',
      text: withLine(16, ''),
      line: 13,
      column: 5,
      message: /baseConnectionId: is required when cloudType is S3/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(16, '    baseConnectionId: x', '    sourceType: Local'),
      line: 17,
      column: 17,
      message: /"Cloud Storage"/,
    },
    {
      rule: 'schema/too-small',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  ttlInDays: 0'),
      line: 18,
      column: 14,
      message: /ttlInDays: must be at least 1/,
    },
    {
      rule: 'schema/too-big',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  ttlInDays: "91"'),
      line: 18,
      column: 14,
      message: /ttlInDays: must be at most 90/,
    },
    {
      rule: 'schema/invalid-type',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  ttlInDays: "forty"'),
      line: 18,
      column: 14,
      message: /ttlInDays: must be a number, not string "forty"/,
    },
    {
      rule: 'schema/invalid-type',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  ttlInDays: 4.5'),
      line: 18,
      column: 14,
      message: /ttlInDays: must be a whole number/,
    },
    {
      rule: 'schema/invalid-value',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  audienceType: accounts'),
      line: 18,
      column: 17,
      message: /audienceType: must be "people"/,
    },
    {
      rule: 'schema/invalid-type',
      text: withLine(17, ''),
      line: 6,
      column: 3,
      message: /spec.originName: is required/,
    },
    {
      rule: 'schema/unknown-key',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  ttl: 30'),
      line: 18,
      column: 3,
      message: /unknown key "ttl"/,
    },
    {
      rule: 'schema/invalid-type',
      text: withLine(17, '  originName: CUSTOM_UPLOAD', '  labels: core/C1'),
      line: 18,
      column: 11,
      message: /labels: must be a array|labels: must be a list/,
    },
    {
      rule: 'schema/invalid-format',
      text: `${VALID}ingestion:\n  every: daily\n`,
      line: 19,
      column: 10,
      message: /ingestion.every: must be a duration/,
    },
    {
      rule: 'schema/invalid-type',
      text: `${VALID}ingestion:\n  onCreate: yes\n`,
      line: 19,
      column: 13,
      message: /ingestion.onCreate: must be a boolean/,
    },
    {
      rule: 'schema/too-small',
      text: `${VALID}ingestion:\n  dataFilterStartTime: -1\n`,
      line: 19,
      column: 24,
      message: /at least 0/,
    },
    {
      rule: 'yaml/duplicate-key',
      text: withLine(6, '  name: Gold', '  name: Gold again'),
      line: 7,
      column: 3,
      message: /"name" is written twice .*unique/,
    },
  ];

  it.each(cases)('$rule at $line:$column ($message)', ({ rule, text, line, column, message }) => {
    const errors = errorsOf(text);
    const match = errors.find((e) => e.rule === rule);
    expect(match, JSON.stringify(errors, null, 2)).toBeDefined();
    expect(match!.message).toMatch(message);
    expect({ line: match!.line, column: match!.column }).toEqual({ line, column });
    expect(match!.file).toBe('a.yaml');
  });

  it('accepts sourceSpec wrapped in params, as the reference sample sends it', () => {
    const text = VALID.replace('  sourceSpec:\n', '  sourceSpec:\n    params:\n').replace(
      /^ {4}(path|type|cloudType|baseConnectionId):/gm,
      '      $1:',
    );
    expect(errorsOf(text)).toEqual([]);
  });

  it('reports a problem inside params at its own line', () => {
    const text = VALID.replace('  sourceSpec:\n', '  sourceSpec:\n    params:\n')
      .replace(/^ {4}(path|type|cloudType|baseConnectionId):/gm, '      $1:')
      .replace('type: file', 'type: blob');
    const error = errorsOf(text).find((e) => e.message.includes('sourceSpec.params.type'));
    expect(error).toMatchObject({ line: 15, rule: 'schema/invalid-value' });
  });

  it('accepts every field type', () => {
    for (const type of ['string', 'number', 'long', 'integer', 'date', 'datetime', 'boolean']) {
      expect(errorsOf(withLine(10, `      type: ${type}`))).toEqual([]);
    }
  });

  it('does not need baseConnectionId for DLZ or without cloudType', () => {
    expect(errorsOf(withLine(15, '    cloudType: DLZ').replace(/ {4}baseConnectionId: .*\n/, ''))).toEqual(
      [],
    );
    expect(errorsOf(withLine(15, '').replace(/ {4}baseConnectionId: .*\n/, ''))).toEqual([]);
  });

  it('refuses a billion-laughs file with a diagnostic, without expanding it; never reads one that is not ours', () => {
    const foreign = parseManifestFile('other.yaml', 'kind: Bomb\na: &a [1]\nb: [*a, *a]\n');
    expect(foreign).toMatchObject({
      diagnostics: [],
      unreadable: false,
      notes: [{ rule: 'source/not-a-manifest' }],
    });
    let text = 'apiVersion: audiencectl/v1\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 0; i < 9; i += 1) {
      const prev = i === 0 ? 'a' : `b${i - 1}`;
      text += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    }
    const result = parseManifestFile('laughs.yaml', text);
    expect(result.diagnostics.map((d) => d.rule)).toContain('yaml/aliases');
    expect(result.unreadable).toBe(true);
  });

  it('names a YAML merge key as one, not as an unknown key "<<"', () => {
    // YAML 1.1's `<<: *common` (written to share values between manifests) is a key named `<<`
    // to this YAML 1.2 reader: it was refused as 'spec.<<: unknown key "<<"', saying not why.
    const text = VALID.replace('  description: Gold tier\n', '  <<: { description: Gold tier }\n');
    expect(errorsOf(text).map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`)).toEqual([
      '7:3 yaml/merge-key spec: a YAML merge key (<<) is not supported: write the keys out',
    ]);
  });

  it('says an alias to an anchor of an earlier document reaches no anchor, instead of "quote the value"', () => {
    // Anchors do not cross `---`: `*fields` meant the list an earlier document anchored, and the
    // advice to quote it would make the field list the text "*fields".
    const first = VALID.replace('  fields:\n', '  fields: &fields\n');
    const second = VALID.replace('name: gold', 'name: silver')
      .replace('name: Gold', 'name: Silver')
      .replace(/ {2}fields:\n(?: {4}.*\n)+/, '  fields: *fields\n');
    const errors = parseManifestFile('a.yaml', `${first}---\n${second}`).diagnostics;
    expect(errors.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`)).toEqual([
      '26:11 yaml/aliases spec.fields: a YAML alias (*) reaches only the anchors (&) of its own document, and this one names an anchor of an earlier document (before a ---): write the value out',
    ]);
  });

  it('names the key written twice, and where it was first', () => {
    // 'Map keys must be unique' named no key: in a long manifest, or a flow map on one line,
    // the reader had to find which of the keys at that column was the twin.
    const shown = (text: string) =>
      errorsOf(text)
        .filter((d) => d.rule === 'yaml/duplicate-key')
        .map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(shown(withLine(6, '  name: Gold', '  name: Gold again'))).toEqual([
      '7:3 spec: "name" is written twice (first at line 6; YAML keys must be unique): keep one',
    ]);
    expect(shown(withLine(3, 'metadata: { name: gold, name: silver }'))).toEqual([
      '3:25 metadata: "name" is written twice (first at line 3; YAML keys must be unique): keep one',
    ]);
    expect(shown(`${VALID}kind: ExternalAudience\n`)).toEqual([
      '18:1 "kind" is written twice (first at line 2; YAML keys must be unique): keep one',
    ]);
    expect(shown(withLine(10, '      type: string', '      "type": string'))).toEqual([
      '11:7 spec.fields[0]: "type" is written twice (first at line 10; YAML keys must be unique): keep one',
    ]);
    // A key is shown escaped: a terminal escape in it is not acted on.
    expect(shown(withLine(7, '  "x\\e[2Jy": 1', '  "x\\e[2Jy": 2'))).toEqual([
      '8:3 spec: "x\\u001B[2Jy" is written twice (first at line 7; YAML keys must be unique): keep one',
    ]);
  });

  it('reports a YAML syntax error at its place', () => {
    const [error] = errorsOf(withLine(6, '  name: [unclosed'));
    expect(error).toMatchObject({ rule: 'yaml/syntax', file: 'a.yaml' });
    expect(error!.line).toBeGreaterThanOrEqual(6);
  });

  it('refuses deep nesting without crashing', () => {
    const block = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(parseManifestFile('deep.yaml', `${block} 1\n`).diagnostics.map((d) => d.rule)).toEqual([
      'yaml/too-deep',
    ]);
    const flow = `${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const result = parseManifestFile('flow.yaml', flow);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.unreadable).toBe(true);
  });

  it('treats __proto__ as an unknown key and pollutes nothing', () => {
    const text = withLine(4, '  name: gold', '  __proto__: { polluted: true }');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.message)).toContain('metadata.__proto__: unknown key "__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('salvages the name of an invalid document so its audience is held, not deleted', () => {
    const result = parseManifestFile('a.yaml', withLine(10, '      type: text'));
    expect(result.salvaged).toEqual([{ key: 'gold', sandbox: undefined }]);
    expect(result.unreadable).toBe(false);
  });

  it('reads several documents per file and skips empty ones', () => {
    const text = `${VALID}---\n${VALID.replace('name: gold', 'name: silver')}---\n`;
    const result = parseManifestFile('a.yaml', text);
    expect(result.manifests.map((m) => [m.manifest.metadata.name, m.line])).toEqual([
      ['gold', 1],
      ['silver', 19],
    ]);
  });

  it('ignores an empty trailing document', () => {
    for (const text of [`${VALID}---\n`, `${VALID}---`, `${VALID}---\n# end\n`, `${VALID}...\n---\n`]) {
      const result = parseManifestFile('a.yaml', text);
      expect(result.diagnostics).toEqual([]);
      expect(result.manifests).toHaveLength(1);
    }
  });

  it('holds the audiences of a file with errors instead of loading them', () => {
    const broken = VALID.replace('name: gold', 'name: silver').replace('type: file', 'type: nonsense');
    const result = loadTexts({ 'a.yaml': `${VALID}---\n${broken}` });
    expect(result.manifests).toEqual([]);
    expect(result.failedFiles).toEqual(['a.yaml']);
    expect(result.held).toEqual([
      { sandbox: 'prod', key: 'gold', file: 'a.yaml' },
      { sandbox: 'prod', key: 'silver', file: 'a.yaml' },
    ]);
  });

  it('refuses two audiences of one sandbox whose spec.name differs only in case or blanks', () => {
    const other = VALID.replace('name: gold', 'name: gold-2').replace('name: Gold', "name: ' gOLD '");
    const result = loadTexts({ 'one.yaml': VALID, 'two.yaml': other });
    const errors = result.diagnostics.filter((d) => d.rule === 'manifest/duplicate-spec-name');
    expect(errors.map((e) => [e.file, e.line, e.column])).toEqual([
      ['one.yaml', 6, 9],
      ['two.yaml', 6, 9],
    ]);
    expect(errors[0]!.message).toBe(
      'spec.name "Gold" is also used by two.yaml:6 in sandbox "prod"; the service refuses a second audience of the same name',
    );
    expect(errors[1]!.message).toBe(
      'spec.name "gOLD" is also used by one.yaml:6 in sandbox "prod"; the service refuses a second audience of the same name',
    );
    // Names the same are also names that look the same: once each, not a look-alike error too.
    expect(result.diagnostics.filter((d) => d.rule === 'manifest/look-alike-spec-name')).toEqual([]);
    expect(result.manifests).toEqual([]);
    expect(result.held.map((h) => h.key).sort()).toEqual(['gold', 'gold-2']);
  });

  it.each([
    [
      'its letters in NFC and in NFD',
      'Caf\u00E9 club',
      'Cafe\u0301 club',
      ' (another Unicode form: NFD here, NFC there)',
    ],
    ['a no-break space for a space', 'Gold members', 'Gold\u00A0members', ''],
    ['two spaces for one', 'Gold members', 'Gold  members', ''],
  ])(
    'refuses two audiences of one sandbox whose spec.name looks the same: %s',
    (_, name, lookAlike, form) => {
      // The service takes them for two names (it compares case and surrounding blanks aside), so
      // both are created: two audiences a person cannot tell apart, as adopt and discover refuse.
      const one = VALID.replace('name: Gold', `name: ${JSON.stringify(name)}`);
      const two = VALID.replace('name: gold', 'name: gold-2').replace(
        'name: Gold',
        `name: ${JSON.stringify(lookAlike)}`,
      );
      const result = loadTexts({ 'one.yaml': one, 'two.yaml': two });
      const errors = result.diagnostics.filter((d) => d.rule === 'manifest/look-alike-spec-name');
      expect(errors.map((e) => [e.file, e.line, e.column])).toEqual([
        ['one.yaml', 6, 9],
        ['two.yaml', 6, 9],
      ]);
      expect(errors[1]!.message).toBe(
        `spec.name ${JSON.stringify(lookAlike)} looks the same as ${JSON.stringify(name)} of one.yaml:6${form} in sandbox "prod": the service takes them for two names and would make two audiences nobody can tell apart; give one another name`,
      );
      expect(result.manifests).toEqual([]);
      expect(result.held.map((h) => h.key).sort()).toEqual(['gold', 'gold-2']);
    },
  );

  it('allows the same spec.name in two sandboxes', () => {
    const other = VALID.replace('name: gold', 'name: gold-2\n  sandbox: dev');
    expect(loadTexts({ 'one.yaml': VALID, 'two.yaml': other }).diagnostics).toEqual([]);
  });

  it('names both files when one sandbox has the same name twice', () => {
    const result = loadTexts({ 'one.yaml': VALID, 'two.yaml': VALID });
    const errors = result.diagnostics.filter((d) => d.rule === 'manifest/duplicate-name');
    expect(errors).toHaveLength(2);
    expect(errors[0]!.message).toContain('one.yaml:1 and two.yaml:1');
    expect(result.manifests).toEqual([]);
    expect(result.held).toEqual([{ sandbox: 'prod', key: 'gold', file: 'one.yaml' }]);
  });

  it('allows the same name in two sandboxes', () => {
    const result = loadTexts({
      'one.yaml': VALID,
      'two.yaml': withLine(4, '  name: gold', '  sandbox: dev'),
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.manifests.map((m) => `${m.sandbox}/${m.key}`)).toEqual(['dev/gold', 'prod/gold']);
  });
});

describe('warnings from newer API versions', () => {
  const warnings = (text: string) =>
    parseManifestFile('a.yaml', text)
      .diagnostics.filter((d) => d.severity === 'warning')
      .map((d) => d.rule);

  it.each([
    ['fields/identity-required', withLine(11, '')],
    ['source/path-spaces', withLine(13, '    path: crm/gold members.csv')],
    ['source/base-connection-unneeded', withLine(15, '    cloudType: DLZ')],
    ['spec/origin-name', withLine(17, '  originName: SOMETHING_ELSE')],
  ])('%s', (rule, text) => {
    expect(warnings(text)).toContain(rule);
    expect(errorsOf(text)).toEqual([]);
  });

  it('fields/max-count above 41 fields', () => {
    const extra = Array.from({ length: 41 }, (_, i) => `    - { name: f${i}, type: string }`);
    expect(warnings(withLine(11, '      identityNs: email', ...extra))).toContain('fields/max-count');
  });
});

describe('YAML tags in a manifest', () => {
  const refusal = (tag: string) =>
    `the YAML tag ${tag} is not read by audiencectl (manifests are plain YAML: only the core schema's tags, such as !!str); remove it, and write the value itself`;
  const diagnosticsOf = (text: string) =>
    parseManifestFile('gold.yaml', text).diagnostics.map(
      (d) => `${d.line}:${d.column} ${d.rule} ${d.message}`,
    );

  it('refuses a tag the reader would drop (!Sub planned as its text: a rename), at the tag, and reads nothing of the file', () => {
    const result = parseManifestFile('gold.yaml', withLine(6, '  name: !Sub "${Team} Gold"'));
    expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`)).toEqual([
      `6:9 yaml/tag spec.name: ${refusal('!Sub')}`,
    ]);
    expect(result.manifests).toEqual([]);
    expect(result.unreadable).toBe(true);
  });

  it('refuses every tag outside the core schema, each where it is written', () => {
    const text = withLine(
      7,
      '  description: !!binary R29sZCB0aWVy',
      '  labels: !!set',
      '    ? core/C1',
      '  tags: !!omap',
      '    - a: 1',
      '  ttlInDays: !days 30',
    ).replace(
      '    path: crm/gold.csv',
      '    path: !<tag:example.com,2026:a-very-long-tag-name-past-forty> crm/gold.csv',
    );
    expect(diagnosticsOf(text)).toEqual([
      `7:16 yaml/tag spec.description: ${refusal('!!binary')}`,
      `8:11 yaml/tag spec.labels: ${refusal('!!set')}`,
      `10:9 yaml/tag spec.tags: ${refusal('!!omap')}`,
      `12:14 yaml/tag spec.ttlInDays: ${refusal('!days')}`,
      `18:11 yaml/tag spec.sourceSpec.path: ${refusal('tag:example.com,2026:a-very-long-tag-na…')}`,
    ]);
  });

  it('refuses a core tag on a value it does not fit (the reader dropped it, the value read as written), at the tag', () => {
    const unfit = (tag: string) =>
      `the YAML tag ${tag} does not fit the value it is on, and would be dropped: remove it, and write the value itself`;
    const text = withLine(7, '  description: !!null Other')
      .replace('  fields:', '  fields: !!map')
      .replace('  sourceSpec:', '  sourceSpec: !!str')
      .replace('  originName: CUSTOM_UPLOAD', '  originName: CUSTOM_UPLOAD\n  ttlInDays: !!bool 30');
    expect(diagnosticsOf(text)).toEqual([
      `7:16 yaml/tag ${unfit('!!null')}`,
      `8:11 yaml/tag ${unfit('!!map')}`,
      `12:15 yaml/tag ${unfit('!!str')}`,
      `18:14 yaml/tag ${unfit('!!bool')}`,
    ]);
    expect(parseManifestFile('gold.yaml', text).manifests).toEqual([]);
  });

  it("reads the core schema's tags as the plain value they name, and the non-specific ! as a string", () => {
    const text = withLine(6, '  name: !!str 2024')
      .replace('  description: Gold tier', '  description: ! 7')
      .replace('  fields:', '  fields: !!seq')
      .replace('  originName: CUSTOM_UPLOAD', '  originName: !!str CUSTOM_UPLOAD\n  ttlInDays: !!int "30"');
    const result = parseManifestFile('gold.yaml', text);
    expect(result.diagnostics).toEqual([]);
    expect(result.manifests[0]!.manifest.spec).toMatchObject({
      name: '2024',
      description: '7',
      ttlInDays: 30,
      fields: [{ name: 'email', type: 'string', identityNs: 'email' }],
    });
  });
});
