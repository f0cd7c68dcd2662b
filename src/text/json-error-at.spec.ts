import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorAt } from './json-error-at.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('jsonErrorAt', () => {
  it('finds an error exactly when JSON.parse refuses the text', () => {
    // JSON texts, then the same with a character cut out or put in: broken or not, as JSON.parse says.
    const edited = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', '}', ']', ',', '"', ':', '1', ' ', '\n', 'x', '\\'))
      .map(([text, at, put]) => {
        const cut = at % (text.length + 1);
        return text.slice(0, cut) + put + text.slice(cut + (put === '' ? 1 : 0));
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), edited), (text) => {
        expect(jsonErrorAt(text) === undefined).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['{"a": 1,\n "b": }', { line: 2, column: 7, problem: 'unexpected "}"' }],
    ['[1, 2', { line: 1, column: 6, problem: 'the text ends too soon (cut short?)' }],
    ['{"a": "x\ny"}', { line: 1, column: 9, problem: 'a line break or control character inside a string' }],
    ['{} {}', { line: 1, column: 4, problem: 'more text after the JSON value' }],
    ['\uFEFF{}', { line: 1, column: 1, problem: 'unexpected U+FEFF' }],
    ['['.repeat(5000), { line: 1, column: 1002, problem: 'nested deeper than 1000 levels' }],
  ])('%j: %j', (text, expected) => {
    expect(jsonErrorAt(text)).toEqual(expected);
  });
});
