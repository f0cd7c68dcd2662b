import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INCLUDE, fileSelector, planScopeOf } from '../../src/source/file-filter.js';
import { runs } from '../helpers/property-runs.js';

const byPicomatch = picomatch([...DEFAULT_INCLUDE], { dot: false });

/** Paths of mostly plain segments, some with characters globs treat specially. */
const segment = fc
  .array(
    fc.oneof(
      {
        arbitrary: fc.constantFrom('a', 'B', '0', '_', '-', '.', 'yaml', 'yml', '.yaml', '.yml', '..'),
        weight: 12,
      },
      {
        arbitrary: fc.constantFrom(
          '*',
          '\\',
          '[',
          ']',
          '{',
          '}',
          '!',
          '(',
          ')',
          '?',
          '+',
          '@',
          ' ',
          'é',
          '\n',
        ),
        weight: 1,
      },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));
const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));

describe('the default file selector', () => {
  it('selects what picomatch selects with the default globs', () => {
    const select = fileSelector({});
    fc.assert(
      fc.property(filePath, (file) => {
        expect(select(file), JSON.stringify(file)).toBe(byPicomatch(file));
      }),
      { numRuns: runs(20_000) },
    );
  });

  it.each([
    ['a/b.yaml', true],
    ['a/b.yml', true],
    ['.hidden/b.yaml', false],
    ['a/.b.yaml', false],
    ['a/b.yaml.txt', false],
  ])('%s: %s', (file, selected) => {
    expect(fileSelector({})(file)).toBe(selected);
  });
});

describe('--exclude alone', () => {
  it('narrows both what is read and what a plan may remove: the excluded files are out of scope', () => {
    const filters = { exclude: ['legacy/**'] };
    const select = fileSelector(filters);
    expect([select('gold.yaml'), select('team/silver.yml'), select('legacy/bronze.yaml')]).toEqual([
      true,
      true,
      false,
    ]);
    const scope = planScopeOf(filters);
    expect(scope?.exclude).toEqual(['legacy/**']);
    expect(scope?.include).toEqual([]);
    expect([scope?.covers('gold.yaml'), scope?.covers('legacy/bronze.yaml')]).toEqual([true, false]);
  });
});
