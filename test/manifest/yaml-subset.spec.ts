import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { readYamlSubset } from '../../src/manifest/yaml-subset.js';
import { keyEnd, plainValue } from '../../src/manifest/yaml-subset-inline.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { runs } from '../helpers/property-runs.js';
import { scalarForm } from '../helpers/yaml-forms.js';

/** Line of the first document's content: what `yaml` reports as the document's start. */
function firstContentLine(text: string): number {
  // Line by line rather than split: the first line is usually the one.
  let start = 0;
  for (let number = 1; start <= text.length; number += 1) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    if (!/^\s*(#.*)?$/.test(line) && !/^(---|%)/.test(line)) return number;
    start = end + 1;
  }
  return 0;
}

/** What the full parser (`yaml`, as parse-full.ts runs it) reads: the one document, or undefined. */
function fullParser(text: string): { value: unknown } | undefined {
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: true });
    if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) return undefined;
    return { value: docs[0]!.toJS() };
  } catch {
    return undefined;
  }
}

/** Same types (-0, NaN, null), same prototypes; JSON: same key order. */
function expectSame(ours: unknown, theirs: { value: unknown } | undefined, text: string): void {
  expect(theirs, JSON.stringify(text)).toBeDefined();
  expect(
    isDeepStrictEqual(ours, theirs!.value),
    `${JSON.stringify(text)}: ${JSON.stringify(theirs!.value)}`,
  ).toBe(true);
  expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs!.value));
}

/** The subset reader either leaves the text to the full parser or reads exactly what it reads. */
function agrees(text: string): boolean {
  const ours = readYamlSubset(text);
  if (ours === undefined) return true;
  expectSame(ours.value, fullParser(text), text);
  expect(ours.line).toBe(firstContentLine(text));
  return true;
}

/** Scalars read as strings, numbers, booleans, nulls; mostly ordinary ones. */
const ordinary = fc.constantFrom(
  ...['abc', 'a b', 'a  b', 'core/C1', 'Cloud Storage', 'é', '1d1d4bc5-b527', '30m', '2026-11-20', 'x.csv'],
  ...['true', 'True', 'false', 'null', '~', 'n', 't', 'f', '0', '7', '-7', '40', '1.5', "it's", 'a#b'],
);
/** Scalars that are typed in unusual ways, or that YAML readers refuse or read otherwise. */
const unusual = fc.constantFrom(
  ...['TRUE', 'tRue', 'yes', 'on', 'Null', 'NULL', '00', '012', '-0', '+1', '1_000', '0x1F', '0o17', '0b101'],
  ...['12345678901234567890', '.5', '-.5', '1e3', '1.5e-3', '.inf', '-.Inf', '.NaN', 'NaN', '1.', '+.inf'],
  ...['0b11110', '+0x1E', '-0x1E', '+0o17', '-0o17', '+.5', '1e400', '1_0.5', '1:30', '190:20:30'],
  ...['2001-12-14t21:59:43.10-05:00', '.Nan', '.iNf', '<<', 'y', 'Yes', 'OFF', 'nULL', 'fAlse'],
  ...['0.0', '1:2', '-x', '- x', '-', 'a: b', 'a:', 'a #b', 'x"y', '[a]', '{a}', '&a', '*a', '!t', '|', '>'],
  ...['%x', '@x', '`x', '?x', ':x', ',x', '#x', '---', '...', 'a\\b', 'a,b', 'a]', ' a', 'a ', 'x\ty'],
  ...['\u00e9t\u00e9', '\u{1F600}', '\u200B', ''],
);
const token = fc.oneof(
  { arbitrary: ordinary, weight: 8 },
  { arbitrary: unusual, weight: 1 },
  { arbitrary: scalarForm, weight: 2 },
);

const scalar = fc
  .tuple(token, fc.constantFrom('plain', 'plain', 'plain', 'single', 'double'))
  .map(([text, style]) => {
    if (style === 'plain') return text;
    return style === 'single' ? `'${text.replaceAll("'", "''")}'` : `"${text}"`;
  });

const key = fc.oneof(
  {
    arbitrary: fc.constantFrom('name', 'type', 'labels', 'a', 'b', 'x.y', 'k/l', 'a-b', 'n', 'sourceSpec'),
    weight: 8,
  },
  {
    arbitrary: fc.constantFrom(
      ...['null', 'true', 'True', 'Off', '_k', '__proto__', 'constructor', 'toString', '1', '0x1'],
      ...['a b', '"q"', "'s'", '? k', '-k'],
    ),
    weight: 1,
  },
);

const flowSequence = fc
  .tuple(fc.array(scalar, { maxLength: 4 }), fc.constantFrom(', ', ',', ' , '), fc.boolean())
  .map(([items, comma, padded]) => (padded ? `[ ${items.join(comma)} ]` : `[${items.join(comma)}]`));

const flowMapping = fc
  .tuple(
    fc.array(fc.tuple(key, fc.oneof(scalar, scalar, flowSequence), fc.constantFrom(': ', ':', ' : ')), {
      maxLength: 4,
    }),
    fc.constantFrom(', ', ',', ' , '),
    fc.boolean(),
  )
  .map(([entries, comma, padded]) => {
    const inner = entries.map(([k, v, colon]) => `${k}${colon}${v}`).join(comma);
    return padded ? `{ ${inner} }` : `{${inner}}`;
  });

/** `[{ a: b }, { c: [d] }]`: a flow sequence of flow mappings (`fields: [{name: id, ...}]`). */
const flowSequenceOfMappings = fc
  .tuple(
    fc.array(fc.oneof(flowMapping, scalar), { maxLength: 3 }),
    fc.constantFrom(', ', ',', ' , '),
    fc.boolean(),
  )
  .map(([items, comma, padded]) => (padded ? `[ ${items.join(comma)} ]` : `[${items.join(comma)}]`));

const comment = fc.constantFrom('', '', '', '', '', ' # note', ' #', '# tight', '   ');

type Node =
  | { kind: 'scalar'; text: string }
  | { kind: 'map'; entries: Array<[string, Node | undefined]> }
  | { kind: 'seq'; items: Node[] };

const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .oneof(scalar, flowSequence, flowMapping, flowSequenceOfMappings)
      .map((text): Node => ({ kind: 'scalar', text })),
    fc
      .array(fc.tuple(key, fc.option(tie('node'), { nil: undefined })), { minLength: 1, maxLength: 4 })
      .map((entries): Node => ({ kind: 'map', entries })),
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items): Node => ({ kind: 'seq', items })),
  ),
}));

type Style = { step: number; compact: boolean; comments: string[] };

/** Block YAML of a mapping's entries at `indent`. */
function renderMap(
  entries: Array<[string, Node | undefined]>,
  indent: number,
  style: Style,
  out: string[],
): void {
  for (const [k, value] of entries) {
    const pad = ' '.repeat(indent);
    const note = style.comments[out.length % style.comments.length] ?? '';
    if (!value) out.push(`${pad}${k}:${note}`);
    else if (value.kind === 'scalar') out.push(`${pad}${k}: ${value.text}${note}`);
    else {
      out.push(`${pad}${k}:${note}`);
      const inner = value.kind === 'seq' && style.compact ? indent : indent + style.step;
      renderNode(value, inner, style, out);
    }
  }
}

function renderNode(value: Node, indent: number, style: Style, out: string[]): void {
  if (value.kind === 'map') return renderMap(value.entries, indent, style, out);
  if (value.kind === 'scalar') return void out.push(`${' '.repeat(indent)}${value.text}`);
  for (const item of value.items) {
    const pad = ' '.repeat(indent);
    if (item.kind === 'scalar') out.push(`${pad}- ${item.text}`);
    else if (item.kind === 'map') {
      const lines: string[] = [];
      renderMap(item.entries, indent + 2, style, lines);
      out.push(`${pad}- ${lines[0]!.slice(indent + 2)}`, ...lines.slice(1));
    } else {
      out.push(`${pad}-`);
      renderNode(item, indent + style.step, style, out);
    }
  }
}

const document = fc
  .tuple(
    fc.array(fc.tuple(key, fc.option(node, { nil: undefined })), { minLength: 1, maxLength: 5 }),
    fc.record({
      step: fc.integer({ min: 1, max: 4 }),
      compact: fc.boolean(),
      comments: fc.array(comment, { minLength: 1, maxLength: 4 }),
    }),
    fc.constantFrom(
      '',
      '',
      '',
      '',
      '---\n',
      '# head\n---\n',
      '\n# c\n',
      '--- \n',
      '--- # c\n',
      '%YAML 1.2\n---\n',
      '%YAML 1.1\n---\n',
      '# c\n%YAML 1.1\n---\n',
      '%TAG !e! tag:e.com,2000:\n---\n',
    ),
    fc.constantFrom('\n', '\n', '\n', '', '\n\n', '\n# end\n', '\n---\n', '\n...\n', '  \n'),
  )
  .map(([entries, style, head, tail]) => {
    const out: string[] = [];
    renderMap(entries, 0, style, out);
    return `${head}${out.join('\n')}${tail}`;
  });

/** A few edits with YAML's meaningful characters. */
const mutated = fc
  .tuple(
    document,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom(...' \n#:-\'"[],&*\t{|>a0?!%.'.split(''), ' ', '\n', '  ', '\r\n', ''),
        fc.nat({ max: 2 }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([text, edits]) =>
    edits.reduce((t, [at, insert, remove]) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + insert + t.slice(i + remove);
    }, text),
  );

describe('the YAML subset reader reads what the full parser (`yaml`) reads, or leaves the text to it', () => {
  it('on generated block YAML', () => {
    fc.assert(fc.property(document, agrees), { numRuns: runs(3000) });
  });

  it('on generated block YAML with CRLF line ends', () => {
    fc.assert(
      fc.property(
        document.map((text) => text.replaceAll('\n', '\r\n')),
        agrees,
      ),
      { numRuns: runs(1000) },
    );
  });

  it('on generated block YAML with edits', () => {
    fc.assert(fc.property(mutated, agrees), { numRuns: runs(3000) });
  });

  it('reads every generated manifest (it is the common case), as the full parser does', () => {
    fc.assert(
      fc.property(manifestArb('a'), (manifest) => {
        const text = stringify(manifest);
        expect(readYamlSubset(text)?.value).toStrictEqual(fullParser(text)!.value);
      }),
      { numRuns: runs(200) },
    );
  });

  it('on the examples and the test fixtures', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.ya?ml$/.test(entry.name)) files.push(file);
      }
    };
    walk('examples');
    walk('test');
    expect(files.length).toBeGreaterThan(5);
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      agrees(text);
      if (readYamlSubset(text)) read += 1;
    }
    expect(read).toBeGreaterThan(0);
  });

  it.each([
    ['a tab', 'a:\tb\n'],
    ['an anchor and an alias', 'a: &x b\nc: *x\n'],
    ['a block scalar', 'a: |\n  b\n'],
    ['a nested flow mapping', 'a: { b: { c: d } }\n'],
    ['a flow sequence in a flow sequence', 'a: [[b]]\n'],
    ['a flow mapping with a key in a flow sequence', 'a: [{ [b]: c }]\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['an escape', 'a: "b\\n"\n'],
    ['odd indentation', 'a:\n  b: 1\n c: 2\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a tag', 'a: !!str 1\n'],
    // Every tag is the full parser's to refuse or resolve (parse-full.ts, yaml/tag).
    ['a local tag', 'a: !Sub b\n'],
    ['a tag on a block mapping', 'a: !!map\n  b: 1\n'],
    ['a tag on a block sequence', 'a: !!set\n  - b\n'],
    ['a tag in a flow sequence', 'a: [b, !!binary c]\n'],
    ['a tag on a flow mapping value', 'a: { b: !x c }\n'],
    ['a tag on a key', '!k a: 1\n'],
    ['a verbatim tag', 'a: !<tag:yaml.org,2002:str> 1\n'],
    ['a quoted key', '"a": 1\n'],
    ['a root sequence', '- a\n'],
    ['a %YAML 1.1 directive', '%YAML 1.1\n---\na: 030\n'],
    ['a %TAG directive', '%TAG !e! tag:e.com,2000:\n---\na: 1\n'],
    ['a flow sequence over two lines', 'a: [\nb]\n'],
    ['content after ---', '--- a: 1\n'],
    ['a collection as a key', 'a: { [b]: c }\n'],
    ['a lone carriage return', 'a: b\rc: d\n'],
    ['a carriage return in a quoted scalar', 'a: "b\r"\n'],
  ])('leaves %s to the full parser', (_name, text) => {
    expect(readYamlSubset(text)).toBeUndefined();
  });

  it('reads CRLF line ends as LF ones', () => {
    expect(readYamlSubset('# c\r\na: b # d\r\nc:\r\n  - [e, f]\r\n')).toStrictEqual({
      value: { a: 'b', c: [['e', 'f']] },
      line: 2,
    });
  });

  it('reads scalars as the core schema does', () => {
    const text =
      "a: 0x1F\nb: True\nc: ~\nd: 1_000\ne: .5\nf: 2026-11-20\ng: [x, \"y\", 'z''s']\nh:\ni: { j: 1, k: [l] }\n";
    expect(readYamlSubset(text)?.value).toStrictEqual({
      a: 31,
      b: true,
      c: null,
      d: '1_000',
      e: 0.5,
      f: '2026-11-20',
      g: ['x', 'y', "z's"],
      h: null,
      i: { j: 1, k: ['l'] },
    });
  });
});

describe("the subset reader's scalar and key scanning", () => {
  /** The full parser's (`yaml`'s) resolution of a plain scalar. */
  const viaYaml = (text: string): unknown =>
    (parseAllDocuments(`x: ${text}\n`) as Array<{ toJS(): { x: unknown } }>)[0]!.toJS().x;
  const wordArb = fc.oneof(
    fc.constantFrom(...['null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False']),
    fc.constantFrom(...['FALSE', 'fALSE', 'nulls', 'nul', 'truer', 'falsey', 'n', 'no', 'yes', 'on', 'off']),
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9_./-]{0,6}$/),
  );

  it('plainValue resolves a word as the full parser does', () => {
    fc.assert(
      fc.property(wordArb, (word) => {
        expect(plainValue(word)).toStrictEqual(viaYaml(word));
      }),
      { numRuns: runs(2000) },
    );
  });

  it('plainValue resolves numbers, nulls, booleans in every spelling as the full parser does', () => {
    fc.assert(
      // Not plain scalars after `x: ` (an empty value, a sequence item): the reader never calls it on them.
      fc.property(
        scalarForm.filter((form) => form !== '' && form !== '-'),
        (form) => {
          expect(Object.is(plainValue(form), viaYaml(form)), form).toBe(true);
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it.each([
    ['0b11110', '0b11110'],
    ['+0x1E', '+0x1E'],
    ['-0x1E', '-0x1E'],
    ['+0o17', '+0o17'],
    ['0x1E', 30],
    ['0o17', 15],
    ['030', 30],
    ['1_0', '1_0'],
    ['-.5', -0.5],
    ['+.5', 0.5],
    ['.5', 0.5],
    ['-0', -0],
    ['1e400', Infinity],
    ['-.Inf', -Infinity],
    ['+.inf', Infinity],
    ['-.nan', '-.nan'],
    ['.NaN', NaN],
    ['.iNf', '.iNf'],
    ['1:30', '1:30'],
    ['2001-12-14', '2001-12-14'],
    ['yes', 'yes'],
    ['~', null],
    ['nULL', 'nULL'],
    ['<<', '<<'],
  ])('plainValue(%j) is %j (YAML 1.2 core)', (form, value) => {
    expect(plainValue(form)).toStrictEqual(value);
    expect(Object.is(plainValue(form), value) || Number.isNaN(value)).toBe(true);
  });

  it('keyEnd ends a key where the pattern [A-Za-z][\\w./-]* does', () => {
    const charArb = fc.constantFrom(...'aZz_./-09:# @[`{~\u00e9A\u0141'.split(''));
    fc.assert(
      fc.property(
        fc.array(charArb, { maxLength: 12 }).map((c) => c.join('')),
        fc.nat(12),
        (text, at) => {
          const pattern = /[A-Za-z][\w./-]*/y;
          pattern.lastIndex = at;
          expect(keyEnd(text, at)).toBe(pattern.test(text) ? pattern.lastIndex : -1);
        },
      ),
      { numRuns: runs(3000) },
    );
  });
});
