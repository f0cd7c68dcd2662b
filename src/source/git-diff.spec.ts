import { describe, expect, it } from 'vitest';
import { parseNameStatus, parseNameStatusChanges, parseRawDiff } from './git-diff.js';

describe('parseNameStatus', () => {
  it('names every path, both sides of renames and copies', () => {
    const output =
      'M\0a.yaml\0R087\0old name.yaml\0new\tname.yaml\0D\0gone.yaml\0A\0x/y.yml\0C100\0s.yaml\0t.yaml\0T\0l.yaml\0';
    expect(parseNameStatus(output)).toEqual([
      'a.yaml',
      'old name.yaml',
      'new\tname.yaml',
      'gone.yaml',
      'x/y.yml',
      's.yaml',
      't.yaml',
      'l.yaml',
    ]);
    expect(parseNameStatus('')).toEqual([]);
  });

  it("says which paths git removed: D and a rename's old side, not a copy's source", () => {
    const output = 'M\0a.yaml\0R087\0old.yaml\0new.yaml\0D\0gone.yaml\0A\0b.yaml\0C100\0s.yaml\0t.yaml\0';
    expect(parseNameStatusChanges(output)?.removed).toEqual(['old.yaml', 'gone.yaml']);
  });

  it('gives up on what it cannot read, so that everything is read instead', () => {
    expect(parseNameStatus('U\0a.yaml\0')).toBeUndefined();
    expect(parseNameStatus('X\0a.yaml\0')).toBeUndefined();
    expect(parseNameStatus('R100\0old.yaml\0')).toBeUndefined();
    expect(parseNameStatus('M\0')).toBeUndefined();
  });
});

describe('parseRawDiff', () => {
  const sha = 'a'.repeat(40);
  const zero = '0'.repeat(40);
  it('splits the files to remove from those to write', () => {
    const output = [
      `:100644 100644 ${sha} ${sha} M`,
      'a.yaml',
      `:000000 100644 ${zero} ${sha} A`,
      'new dir/b.yaml',
      `:100644 000000 ${sha} ${zero} D`,
      'gone.yaml',
      `:100644 120000 ${sha} ${sha} T`,
      'link.yaml',
      '',
    ].join('\0');
    expect(parseRawDiff(output)).toEqual({
      deleted: ['gone.yaml'],
      written: ['a.yaml', 'new dir/b.yaml', 'link.yaml'],
    });
  });

  it('leaves submodules and unknown statuses to a whole checkout', () => {
    expect(parseRawDiff(`:000000 160000 ${zero} ${sha} A\0sub\0`)).toBeUndefined();
    expect(parseRawDiff(`:100644 100644 ${sha} ${sha} U\0a.yaml\0`)).toBeUndefined();
    expect(parseRawDiff(`:100644 100644 ${sha} ${sha} M\0`)).toBeUndefined();
  });
});
