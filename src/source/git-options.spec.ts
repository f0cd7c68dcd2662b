import { describe, expect, it } from 'vitest';
import { SourceConfigError } from './errors.js';
import { checkBranch, checkSubPath, parseGitSourceOptions } from './git-options.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SourceConfigError);
    return (error as SourceConfigError).code;
  }
  return 'accepted';
}

describe('git source options', () => {
  it.each(['main', 'release/2026-11', 'feature/a.b_c'])('accepts branch %s', (branch) => {
    expect(checkBranch(branch)).toBe(branch);
  });

  it.each([
    '',
    '-f',
    '--upload-pack=x',
    'a..b',
    'main~1',
    'HEAD@{1}',
    'ma in',
    'a:b',
    'x.lock',
    '.hidden',
    'a/',
    'a\\b',
  ])('refuses branch %j', (branch) => {
    expect(codeOf(() => checkBranch(branch))).toBe('SOURCE_BRANCH_INVALID');
  });

  it('normalises sub-paths and keeps them inside the repository', () => {
    expect(checkSubPath('')).toBe('');
    expect(checkSubPath('.')).toBe('');
    expect(checkSubPath('./audiences/')).toBe('audiences');
    expect(checkSubPath('a/../b')).toBe('b');
    for (const bad of ['..', '../x', 'a/../../x', '/etc']) {
      expect(codeOf(() => checkSubPath(bad))).toBe('SOURCE_PATH_INVALID');
    }
  });

  it('fills defaults and never repeats a secret value in its messages', () => {
    const parsed = parseGitSourceOptions({ url: 'https://h/r.git', workDir: '/w' });
    expect(parsed).toMatchObject({
      branch: 'main',
      path: '',
      tokenUsername: 'x-access-token',
      timeoutMs: 120_000,
    });
    try {
      parseGitSourceOptions({ url: 'https://h/r.git', workDir: '/w', token: 'CANARY-TOKEN', depth: -1 });
      expect.unreachable();
    } catch (error) {
      expect((error as SourceConfigError).code).toBe('SOURCE_OPTIONS_INVALID');
      expect((error as Error).message).toContain('depth');
      expect((error as Error).message).not.toContain('CANARY-TOKEN');
    }
  });
});
