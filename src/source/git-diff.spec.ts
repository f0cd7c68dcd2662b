import { describe, expect, it } from 'vitest';
import { parseNameStatus } from './git-diff.js';

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

  it('gives up on what it cannot read, so that everything is read instead', () => {
    expect(parseNameStatus('U\0a.yaml\0')).toBeUndefined();
    expect(parseNameStatus('X\0a.yaml\0')).toBeUndefined();
    expect(parseNameStatus('R100\0old.yaml\0')).toBeUndefined();
    expect(parseNameStatus('M\0')).toBeUndefined();
  });
});
