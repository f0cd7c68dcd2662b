import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INCLUDE,
  fileSelector,
  mayHoldSelected,
  planScopeOf,
  unreadClaimant,
  unselectedByDefault,
} from '../../src/source/file-filter.js';
import { runs } from '../helpers/property-runs.js';

/** picomatch itself, with `.` taking line terminators (`s`): a folder named `a\n` is read (review 32, M-5). */
const byPicomatch = picomatch([...DEFAULT_INCLUDE], { dot: false, flags: 's' });

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
    ['mkt\r/b.yaml', true],
    ['a\nb/c/b.yml', true],
    ['a\u2028/b.yaml', true],
    ['b.yaml\r', false],
    ['b.yaml ', false],
  ])('%j: %s', (file, selected) => {
    expect(fileSelector({})(file)).toBe(selected);
  });
});

describe('--include and --exclude', () => {
  it('match in a folder named with a line terminator as in any other (review 32, M-5)', () => {
    const select = fileSelector({ include: ['teams/**'], exclude: ['teams/old/**'] });
    expect([
      select('teams/mkt\r/gold.yaml'),
      select('teams/a\nb/c/gold.yaml'),
      select('teams/x\u2028/gold.yml'),
      select('teams/old/a\nb/gold.yaml'),
      select('web.yaml'),
    ]).toEqual([true, true, true, false, false]);
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

describe('whether the filters may select a file under a folder (one that cannot be listed)', () => {
  const globs = fc.constantFrom(
    '**/*.yaml',
    'loyalty/**',
    './loyalty/**',
    'loyalty/*.yaml',
    'a/**/*.yml',
    '{a,loyalty}/**',
    '!(a)/**',
    '.a/**',
    'a/.b/*.yaml',
    '**',
    'a/**/*',
    'loyalty/**/*',
    'loyalty/gold.yaml',
    'a\\*/**',
  );
  const filters = fc.record(
    { include: fc.array(globs, { minLength: 1, maxLength: 2 }), exclude: fc.array(globs, { maxLength: 2 }) },
    { requiredKeys: ['exclude'] },
  );
  const plain = fc.constantFrom('a', 'b', '.a', '.b', 'loyalty', 'gold.yaml', 'x.yml', '*');
  // A name in a folder: never empty, `.` or `..`.
  const name = segment.filter((s) => s !== '' && s !== '.' && s !== '..');
  const under = fc.array(fc.oneof(plain, name), { minLength: 1, maxLength: 4 });

  it('says no only when no file under it is selected', () => {
    fc.assert(
      fc.property(filters, under, under, (given, folder, rest) => {
        const selected = fileSelector(given);
        const file = [...folder, ...rest].join('/');
        if (!mayHoldSelected(folder.join('/'), given)) expect(selected(file), file).toBe(false);
      }),
      { numRuns: runs(20_000) },
    );
  });

  it.each([
    ['partners', {}, true],
    ['.cache', {}, false],
    ['a/.cache', { include: ['a/.cache/*.yaml'] }, true],
    ['partners', { include: ['loyalty/**'] }, false],
    ['loyalty/old', { include: ['loyalty/**'] }, true],
    ['team', { include: ['team/a/*.yaml'] }, true],
    ['partners', { exclude: ['partners/**/*'] }, false],
    ['partners/old', { exclude: ['partners/**/*'] }, false],
    // picomatch's last `**` takes no name with a line break (`partners/a\n.yaml`), which `*.yaml` does.
    ['partners', { exclude: ['partners/**'] }, true],
    ['partners', { exclude: ['partners/*.yaml'] }, true],
    ['partners', { include: ['{loyalty,partners}/**'] }, true],
  ])('%s, %j: %s', (folder, given, may) => {
    expect(mayHoldSelected(folder, given)).toBe(may);
  });
});

describe('why the default selection leaves out a file named like a manifest', () => {
  it('says a renamed claimant in a dot folder or a dotfile is that, which renaming back does not undo (review scope-43, L-3)', () => {
    expect(unreadClaimant('gold.yaml.bak')).toEqual({ why: 'renamed', extension: '.yaml.bak' });
    expect(unreadClaimant('old/gold.ymal')).toEqual({ why: 'renamed', extension: '.ymal' });
    expect(unreadClaimant('.archive/gold.yaml.bak')).toEqual({
      why: 'renamed-dot-folder',
      extension: '.yaml.bak',
      folder: '.archive',
    });
    expect(unreadClaimant('a/.old/x/gold')).toEqual({
      why: 'renamed-dot-folder',
      extension: '',
      folder: '.old',
    });
    expect(unreadClaimant('.gold.yaml~')).toEqual({ why: 'renamed-dotfile', extension: '.yaml~' });
    expect(unreadClaimant('.archive/.gold.yaml.bak')).toEqual({
      why: 'renamed-dotfile-in-dot-folder',
      extension: '.yaml.bak',
      folder: '.archive',
    });
    expect(unreadClaimant('.archive/gold.yaml')).toEqual({ why: 'dot-folder', folder: '.archive' });
    expect(unreadClaimant('a/gold.yaml')).toBeUndefined();
  });

  it('says the extension in another case, the dot folder, the dotfile or the rename; nothing of other files', () => {
    expect(unselectedByDefault('b.YAML')).toEqual({ why: 'extension', extension: '.YAML' });
    expect(unselectedByDefault('x/b.Yml')).toEqual({ why: 'extension', extension: '.Yml' });
    expect(unselectedByDefault('x/b.yAmL')).toEqual({ why: 'extension', extension: '.yAmL' });
    expect(unselectedByDefault('.archive/b.yaml')).toEqual({ why: 'dot-folder', folder: '.archive' });
    expect(unselectedByDefault('a/.old/b.YAML')).toEqual({ why: 'dot-folder', folder: '.old' });
    expect(unselectedByDefault('a/.b.yml')).toEqual({ why: 'dotfile' });
    expect(unselectedByDefault('b.yaml\r')).toEqual({ why: 'extension', extension: '.yaml\r' });
    expect(unselectedByDefault('x/b.yml ')).toEqual({ why: 'extension', extension: '.yml ' });
    expect(unselectedByDefault('b.YAML\r\n')).toEqual({ why: 'extension', extension: '.YAML\r\n' });
    // Renamed so that the default does not read it (review scope-41, H-2).
    expect(unselectedByDefault('b.yaml.bak')).toEqual({ why: 'renamed', extension: '.yaml.bak' });
    expect(unselectedByDefault('a/b.yml~')).toEqual({ why: 'renamed', extension: '.yml~' });
    expect(unselectedByDefault('b.json')).toEqual({ why: 'renamed', extension: '.json' });
    for (const file of [
      'b.yaml',
      'a/b.yml',
      'b.txt',
      // An editor's swap file, and a renamed one in a dot folder or a skipped one.
      'a/.b.yaml.swp',
      'b.yaml.swp',
      '.archive/b.yaml.bak',
      'node_modules/x/b.json',
      '.git/b.yaml',
      'node_modules/x/b.YAML',
    ]) {
      expect(unselectedByDefault(file)).toBeUndefined();
    }
  });

  it('leaves out only files the default selection does not read', () => {
    const selected = fileSelector({});
    for (const file of [
      'b.YAML',
      'x/b.Yml',
      '.archive/b.yaml',
      'a/.b.yml',
      '..data/b.yaml',
      'b.yaml\r',
      'b.yml ',
    ]) {
      expect(selected(file)).toBe(false);
      expect(unselectedByDefault(file)).toBeDefined();
    }
  });
});
