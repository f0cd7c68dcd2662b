import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareText } from './compare.js';
import { runs } from '../../test/helpers/property-runs.js';

describe('compareText', () => {
  it('orders as localeCompare does', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(
        'a',
        'A',
        'b',
        'B',
        'é',
        'e',
        'group-10/a.yaml',
        'group-9/a.yaml',
        'a-b',
        'a_b',
        'a.b',
        '',
      ),
    );
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareText(a, b))).toBe(Math.sign(a.localeCompare(b)));
      }),
      { numRuns: runs(2000) },
    );
  });
});
