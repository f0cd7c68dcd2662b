import { describe, expect, it } from 'vitest';
import { compareText } from './compare.js';

describe('compareText', () => {
  it('orders by code point, whatever the locale would say', () => {
    const words = [
      'y',
      'j',
      'é',
      'B',
      'aa',
      'z',
      'ch',
      'a_b',
      'h',
      'e',
      'group-9',
      'A',
      'a-b',
      'i',
      'group-10',
      'b',
      '',
    ];
    // Code point order: upper case before lower, "aa" before "b" (da_DK puts it last),
    // "ch" before "h" (cs_CZ puts it after), "y" after "j" (lt_LT puts it before), é last.
    expect([...words].sort(compareText)).toEqual([
      '',
      'A',
      'B',
      'a-b',
      'a_b',
      'aa',
      'b',
      'ch',
      'e',
      'group-10',
      'group-9',
      'h',
      'i',
      'j',
      'y',
      'z',
      'é',
    ]);
    expect(compareText('x', 'x')).toBe(0);
  });
});
