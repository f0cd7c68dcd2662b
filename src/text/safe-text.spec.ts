import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, escapeDeep, escapeJsonText, escapeText, quoted, unsafeCharacter } from './safe-text.js';
import { runs } from '../../test/helpers/property-runs.js';

/** C0, DEL, C1, the bidi controls and marks of issue 10, zero-width, line separators. */
function isRefusedCodePoint(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x061c ||
    (code >= 0x200b && code <= 0x200d) ||
    code === 0x2060 ||
    code === 0xfeff ||
    code === 0x2028 ||
    code === 0x2029
  );
}

function refusedIn(text: string): number[] {
  return [...text].map((char) => char.codePointAt(0)!).filter(isRefusedCodePoint);
}

/** Strings rich in the characters that matter, among any others. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\u001b',
      '\u009b',
      '\u202e',
      '\u2066',
      '\u200b',
      '\ufeff',
      '\u0000',
      '\n',
      '\t',
      '\u061c',
      '\u00a0',
      '\u3000',
    ),
    fc.integer({ min: 0, max: 0x2100 }).map((code) => String.fromCharCode(code)),
    fc.string({ unit: 'grapheme' }),
  ),
});

describe('escapeText', () => {
  it('leaves no control, bidi or zero-width code point in any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), hostile), (text) => {
        expect(refusedIn(escapeText(text))).toEqual([]);
      }),
      { numRuns: runs(500) },
    );
  });

  it('keeps only tab and line feed when asked to keep line breaks', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(
          refusedIn(escapeText(text, { keepLineBreaks: true })).filter((c) => c !== 0x0a && c !== 0x09),
        ).toEqual([]);
      }),
    );
  });

  it('shows what it escapes as \\uXXXX and keeps everything else', () => {
    expect(escapeText('\u001b[2Jgold\u202emembers\u200b')).toBe('\\u001B[2Jgold\\u202Emembers\\u200B');
    expect(escapeText('a\nb\tc', { keepLineBreaks: true })).toBe('a\nb\tc');
    expect(escapeText('a\nb')).toBe('a\\u000Ab');
    expect(escapeText('Gold members ✓ 金 مرحبا 👍🏽')).toBe('Gold members ✓ 金 مرحبا 👍🏽');
  });

  it('leaves no space but U+0020 in any string (Unicode Zs, as the regex engine knows it)', () => {
    const otherSpace = /(?! )\p{Zs}/u;
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), hostile), (text) => {
        expect(escapeText(text)).not.toMatch(otherSpace);
        expect(escapeText(text, { keepLineBreaks: true })).not.toMatch(otherSpace);
      }),
      { numRuns: runs(500) },
    );
  });

  it('shows each space that is not U+0020 as \\uXXXX, and keeps the plain space (review 32, M-4)', () => {
    expect(escapeText('Nbsp\u00A0gold members')).toBe('Nbsp\\u00A0gold members');
    const cases: Array<[string, string]> = [
      ['\u00A0', 'a\\u00A0b'], // no-break space
      ['\u1680', 'a\\u1680b'], // ogham space mark
      ['\u2000', 'a\\u2000b'], // en quad
      ['\u2003', 'a\\u2003b'], // em space
      ['\u2007', 'a\\u2007b'], // figure space
      ['\u2009', 'a\\u2009b'], // thin space
      ['\u200A', 'a\\u200Ab'], // hair space
      ['\u202F', 'a\\u202Fb'], // narrow no-break space
      ['\u205F', 'a\\u205Fb'], // medium mathematical space
      ['\u3000', 'a\\u3000b'], // ideographic space
    ];
    for (const [space, shown] of cases) {
      expect(escapeText(`a${space}b`)).toBe(shown);
      expect(escapeText(`a${space}b`, { keepLineBreaks: true })).toBe(shown);
    }
    expect(quoted('Gold\u202Fmembers')).toBe('"Gold\\u202Fmembers"');
    expect(escapeDeep({ 'k\u3000': ['v\u00A0w'] })).toEqual({ 'k\\u3000': ['v\\u00A0w'] });
    // Visible characters beside them are kept: a dotted circle, a hyphen.
    expect(escapeText('Gold members \u25CC \u2010')).toBe('Gold members \u25CC \u2010');
  });

  it('escapes keys and values of nested data', () => {
    expect(escapeDeep({ 'k\u202e': ['v\u001b', { x: 1, y: 'ok' }], n: null })).toEqual({
      'k\\u202E': ['v\\u001B', { x: 1, y: 'ok' }],
      n: null,
    });
  });
});

describe('escapeJsonText', () => {
  it('parses back to the same value and shows no raw bidi, C1 or zero-width character', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostile, (value, text) => {
        const data = { value, text };
        const plain = JSON.stringify(data);
        const json = escapeJsonText(plain);
        expect(JSON.parse(json)).toEqual(JSON.parse(plain));
        expect(refusedIn(json)).toEqual([]);
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('escapeJsonText and the spaces that are not U+0020', () => {
  it('keeps them raw: JSON is for programs, and holds the value as it is', () => {
    const json = JSON.stringify({ name: 'Nbsp\u00A0gold\u3000' });
    expect(escapeJsonText(json)).toBe('{"name":"Nbsp\u00A0gold\u3000"}');
  });
});

describe('unsafeCharacter', () => {
  it('names the rule, the code point and the place of the first refused character', () => {
    expect(unsafeCharacter('Gold\u202Emembers', 'name')).toMatchObject({
      rule: 'text/bidi-control',
      codePoint: 'U+202E',
      index: 4,
    });
    expect(unsafeCharacter('Gold\u200Bmembers', 'name')).toMatchObject({ rule: 'text/zero-width', index: 4 });
    expect(unsafeCharacter('a\u0000', 'name')).toMatchObject({ rule: 'text/control-character', index: 1 });
    expect(unsafeCharacter('a\u0085', 'multiline')).toMatchObject({ rule: 'text/control-character' });
    expect(unsafeCharacter('\u061Cx', 'multiline')).toMatchObject({ rule: 'text/bidi-control', index: 0 });
  });

  it('lets descriptions have tabs, line breaks and joiners, and names none of them', () => {
    expect(unsafeCharacter('line one\n\tline two 👨\u200D👩', 'multiline')).toBeUndefined();
    expect(unsafeCharacter('a\nb', 'name')).toMatchObject({ rule: 'text/control-character', index: 1 });
    expect(unsafeCharacter('a\tb', 'name')).toMatchObject({ rule: 'text/control-character' });
    expect(unsafeCharacter('a\rb', 'multiline')).toMatchObject({ rule: 'text/control-character' });
    expect(unsafeCharacter('Gold members 金', 'name')).toBeUndefined();
    // Shown escaped, but not refused: a name the service accepts (review 32, M-4).
    expect(unsafeCharacter('Nbsp\u00A0gold\u202Fmembers\u3000', 'name')).toBeUndefined();
  });
});

describe('decodeUtf8', () => {
  const bytes = (...parts: Array<string | number[]>): Uint8Array =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

  it('decodes valid text', () => {
    expect(decodeUtf8(bytes('name: 金\n'))).toEqual({ ok: true, text: 'name: 金\n' });
  });

  it('points at the first bad byte by line and column (in characters)', () => {
    expect(decodeUtf8(bytes('a: 1\nname: 金', [0xff], 'x'))).toEqual({
      ok: false,
      offset: 14,
      line: 2,
      column: 8,
    });
    expect(decodeUtf8(bytes([0xc3]))).toEqual({ ok: false, offset: 0, line: 1, column: 1 });
    // Overlong encoding of "/" and an encoded surrogate are invalid too.
    expect(decodeUtf8(bytes('ab', [0xc0, 0xaf]))).toMatchObject({ ok: false, offset: 2, column: 3 });
    expect(decodeUtf8(bytes('\n\n', [0xed, 0xa0, 0x80]))).toMatchObject({ ok: false, line: 3, column: 1 });
  });
});
