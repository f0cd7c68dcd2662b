import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARSE_LIMITS } from '../../src/manifest/limits.js';
import { prescan, type ScanLimits } from '../../src/manifest/prescan.js';
import { referencePrescan } from '../helpers/prescan-reference.js';
import { runs } from '../helpers/property-runs.js';

/** Pieces of YAML, ordinary and not: every character the scan treats apart, and runs of others. */
const pieceArb = fc.constantFrom(
  ...['key', 'a b', 'é', '😀', 'x9_./', ' ', '  ', '\t', '\n', '\r\n', '#', ' # c', '"', "'", "''", '\\'],
  ...['[', ']', '{', '}', ',', '- ', '-', ': ', ':', '? ', '|', '>', '&a', '*a', '!t', '---', '...', '%'],
  ...['\n  ', '\n    - ', 'k: v\n', 'k: "a, [b"\n', "k: 'it''s'\n", 'k: [a, b]\n', 'k: |\n  x: [\n'],
);
const limitsArb = fc.record({
  maxDepth: fc.integer({ min: 1, max: 8 }),
  maxDocuments: fc.integer({ min: 0, max: 4 }),
  maxNodes: fc.integer({ min: 0, max: 30 }),
  maxEntries: fc.integer({ min: 0, max: 10 }),
  maxAnchors: fc.integer({ min: 0, max: 4 }),
});

describe('prescan', () => {
  it("counts what one line nests: each `? ` and `: ` at a value's start, each key after its first", () => {
    const tooDeep = (column: number) => ({
      line: 1,
      column,
      rule: 'yaml/too-deep',
      message: 'nesting deeper than 32 levels',
    });
    // The 32nd indicator (at column 63, two characters each) is refused, as the 32nd `- ` is.
    expect(prescan(`${'- '.repeat(100)}x\n`, DEFAULT_PARSE_LIMITS)).toEqual(tooDeep(63));
    expect(prescan(`${'? '.repeat(100)}x\n`, DEFAULT_PARSE_LIMITS)).toEqual(tooDeep(63));
    expect(prescan(`${': '.repeat(100)}x\n`, DEFAULT_PARSE_LIMITS)).toEqual(tooDeep(63));
    // `k: k: …`: the 32nd key's colon (three characters each), the line's first key being no extra level.
    expect(prescan(`${'k: '.repeat(100)}x\n`, DEFAULT_PARSE_LIMITS)).toEqual(tooDeep(95));
    // One key a line, a value with colons but no `: `, and `: ` inside quotes and comments: nothing.
    const ordinary = 'a: b\n- c: d\n  e: http://x:80/y\nf: "g: h: i" # j: k: l\n';
    expect(prescan(ordinary.repeat(40), DEFAULT_PARSE_LIMITS)).toBeUndefined();
  });

  it('reads the end of the text alike with and without a final newline', () => {
    // The last line's start is the text's end when the text ends with a newline.
    for (const end of ['', '\n', '\r\n', '\n  ', '\n\n']) {
      expect(prescan(`a: b\nc:\n  - d${end}`, DEFAULT_PARSE_LIMITS), JSON.stringify(end)).toBeUndefined();
      // A block scalar's lines, and a document marker, last.
      expect(prescan(`a: |\n  b${end}`, DEFAULT_PARSE_LIMITS), JSON.stringify(end)).toBeUndefined();
      const third = {
        line: 5,
        column: 1,
        rule: 'yaml/too-many-documents',
        message: 'more than 2 YAML documents in one file',
      };
      expect(
        prescan(`---\na: 1\n---\nb: 2\n---${end}`, { ...DEFAULT_PARSE_LIMITS, maxDocuments: 2 }),
      ).toEqual(third);
      // Refused on the last line: the same place.
      expect(prescan(`a:\n${'['.repeat(40)}${end}`, DEFAULT_PARSE_LIMITS)).toEqual({
        line: 2,
        column: 32,
        rule: 'yaml/too-deep',
        message: 'nesting deeper than 32 levels',
      });
    }
  });

  it('refuses what the reference refuses, at the same place and for the same reason', () => {
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 60 }), limitsArb, (pieces, limits: ScanLimits) => {
        const text = pieces.join('');
        expect(prescan(text, limits)).toEqual(referencePrescan(text, limits));
        expect(prescan(text, DEFAULT_PARSE_LIMITS)).toEqual(referencePrescan(text, DEFAULT_PARSE_LIMITS));
      }),
      { numRuns: runs(3000) },
    );
  });
});
