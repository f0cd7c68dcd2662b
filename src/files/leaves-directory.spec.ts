import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { leavesDirectory } from './leaves-directory.js';

describe('leavesDirectory', () => {
  it.each([
    ['..', true],
    ['../x.yaml', true],
    ['../..', true],
    ['/etc/passwd', true],
    ['..data/gold.yaml', false],
    ['..2026_12_04_01', false],
    ['...', false],
    ['a/../b', false],
    ['gold.yaml', false],
  ])('%s: %s', (relative, expected) => {
    expect(leavesDirectory(relative.split('/').join(path.sep))).toBe(expected);
  });
});
