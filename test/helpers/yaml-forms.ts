import fc from 'fast-check';

/**
 * Plain scalars across the spellings where YAML readers differ: signs, `0b`/`0o`/`0x`
 * prefixes, underscores, leading dots, exponents, `.inf`/`.nan` cases, sexagesimal,
 * timestamps, YAML 1.1 words, null and bool cases, merge keys.
 */
export const scalarForm: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '', '+', '-'),
      fc.constantFrom('', '', '0b', '0o', '0x', '0B', '0O', '0X', '0'),
      fc.stringMatching(/^[0-9a-fA-F_]{1,5}$/),
    )
    .map(([sign, prefix, digits]) => `${sign}${prefix}${digits}`),
  fc
    .tuple(
      fc.constantFrom('', '', '+', '-'),
      fc.stringMatching(/^[0-9_]{0,3}$/),
      fc.constantFrom('', '.', '.', '._'),
      fc.stringMatching(/^[0-9_]{0,3}$/),
      fc.constantFrom('', '', 'e3', 'E+2', 'e-1', 'e400', 'e', 'e_1'),
    )
    .map(([sign, whole, dot, fraction, exponent]) => `${sign}${whole}${dot}${fraction}${exponent}`),
  fc
    .tuple(
      fc.constantFrom('', '', '+', '-'),
      fc.constantFrom(
        '.inf',
        '.Inf',
        '.INF',
        '.iNf',
        '.nan',
        '.NaN',
        '.NAN',
        '.Nan',
        'inf',
        'nan',
        'NaN',
        'Infinity',
      ),
    )
    .map(([sign, word]) => `${sign}${word}`),
  fc.constantFrom(
    ...['1:30', '-1:30', '190:20:30', '1:30.5', '0:0', '2001-12-14', '2001-12-14t21:59:43.10-05:00'],
  ),
  fc.constantFrom(
    ...['yes', 'Yes', 'YES', 'no', 'No', 'on', 'On', 'off', 'OFF', 'y', 'Y', 'n', 'N', '<<', '='],
  ),
  fc.constantFrom(
    ...['~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'FALSE', 'fAlse'],
  ),
);
