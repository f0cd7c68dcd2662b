import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseWithoutFullParser } from '../../src/manifest/parse-fast.js';
import { DEFAULT_PARSE_LIMITS, parseFull, parseManifestFile } from '../../src/manifest/parse.js';
import { readYamlSubsetDocuments } from '../../src/manifest/yaml-subset-documents.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { manifestYaml } from '../helpers/manifests.js';
import { runs } from '../helpers/property-runs.js';

// A file of several manifests (`---` between them) is read by the fast path as the full
// parser (`yaml`) reads it, or left to it: the fast path alone spares a small plan its
// parser thread, so the examples' two-manifest file must be read by it.

const quiet = { ingestion: { onCreate: false } };

/** What may stand between two documents, or before the first, or after the last. */
const separator = fc.constantFrom(
  '---\n',
  '---\n',
  '---   \n',
  '\n---\n',
  '# next\n---\n# its comment\n\n',
  '---\n---\n',
  '---\r\n',
  // Left to the full parser: a comment or content on the marker line, an end marker, a directive.
  '--- # c\n',
  '...\n---\n',
  '--- a: 1\n',
  '---\n%YAML 1.2\n---\n',
  '---\n  # indented\n',
  '---\n#\tcomment with a tab\n',
);
const head = fc.constantFrom('', '', '---\n', '# head\n---\n', '# head\n\n', '--- \n', '%YAML 1.2\n---\n');
const tail = fc.constantFrom('', '', '---\n', '---', '\n---\n# end\n', '...\n', '# end\n');

const file = fc
  .tuple(
    head,
    fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.boolean()), { minLength: 1, maxLength: 3 }),
    fc.array(separator, { minLength: 2, maxLength: 2 }),
    tail,
  )
  .map(([first, names, [one, two], last]) => {
    const texts = names.map(([name, crlf]) => {
      const text = manifestYaml(name, quiet);
      return crlf ? text.replaceAll('\n', '\r\n') : text;
    });
    return (
      first +
      texts.map((text, index) => (index === 0 ? text : (index === 1 ? one : two) + text)).join('') +
      last
    );
  });

describe('files of several documents: the fast path reads what the full parser reads, or leaves them to it', () => {
  it('on generated files of one to three manifests, with separators, heads and tails', () => {
    let fast = 0;
    let several = 0;
    fc.assert(
      fc.property(file, (text) => {
        const quick = parseWithoutFullParser('f.yaml', text, DEFAULT_PARSE_LIMITS);
        if (quick) fast += 1;
        if (quick && quick.manifests.length > 1) several += 1;
        expect(parseManifestFile('f.yaml', text), JSON.stringify(text)).toEqual(parseFull('f.yaml', text));
      }),
      { numRuns: runs(1500) },
    );
    // The property is about the fast path too: it reads files of several documents.
    expect(several).toBeGreaterThan(0);
    expect(fast).toBeGreaterThan(several);
  });

  it('on generated manifests, two a file', () => {
    fc.assert(
      fc.property(manifestArb('a'), manifestArb('b'), (a, b) => {
        const text = `${stringify(a)}---\n${stringify(b)}`;
        const quick = parseWithoutFullParser('f.yaml', text, DEFAULT_PARSE_LIMITS);
        expect(quick?.manifests).toHaveLength(2);
        expect(quick).toEqual(parseFull('f.yaml', text));
      }),
      { numRuns: runs(200) },
    );
  });

  it("reads the examples' file of two manifests without the full parser, at the full parser's lines", () => {
    const text = readFileSync('examples/audiences/loyalty/churn-risk.yaml', 'utf8');
    const quick = parseWithoutFullParser('churn-risk.yaml', text, DEFAULT_PARSE_LIMITS);
    expect(quick?.manifests.map((m) => [m.manifest.metadata.name, m.line])).toEqual([
      ['churn-risk-high', 3],
      ['churn-risk-medium', 24],
    ]);
    expect(quick).toEqual(parseFull('churn-risk.yaml', text));
  });

  it.each([
    ['a block scalar running into a separator', 'a: |\n---\nb: 1\n'],
    ['a quoted scalar running into a separator', 'a: "x\n---\n"\n'],
    ['a comment on the marker line', 'a: 1\n--- # c\nb: 2\n'],
    ['content on the marker line', 'a: 1\n--- b: 2\n'],
    ['an end marker', 'a: 1\n...\n---\nb: 2\n'],
    ['a directive after a document', 'a: 1\n...\n%YAML 1.2\n---\nb: 2\n'],
    ['an indented marker', 'a: 1\n ---\nb: 2\n'],
    ['a tab in a comment of an empty part', 'a: 1\n---\n#\tx\n---\nb: 2\n'],
    ['a second document that is a scalar', 'a: 1\n---\nb\n'],
  ])('leaves %s to the full parser', (_name, text) => {
    expect(readYamlSubsetDocuments(text)).toBeUndefined();
  });

  it('skips the empty parts the full parser skips, and counts lines across them', () => {
    expect(readYamlSubsetDocuments('# h\n---\na: 1\n---\n---\n# c\n\nb: 2\n---\n')).toEqual([
      { value: { a: 1 }, line: 3 },
      { value: { b: 2 }, line: 8 },
    ]);
  });
});
