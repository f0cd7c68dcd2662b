import { GitError } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { SourceSyncError } from './errors.js';
import { toSyncError } from './git-errors.js';

describe('toSyncError', () => {
  it('drops progress lines, keeps the failure and scrubs secrets', () => {
    const stderr = [
      'remote: Enumerating objects: 5, done.',
      'Receiving objects:  40% (2/5)\rReceiving objects: 100% (5/5), done.',
      'fatal: unable to access https://host/x: token tok-SECRET-1 rejected',
    ].join('\n');
    const error = toSyncError(new GitError(undefined, stderr), 'fetch', ['tok-SECRET-1']);
    expect(error).toBeInstanceOf(SourceSyncError);
    expect(error.code).toBe('SOURCE_FETCH_FAILED');
    expect(error.message).toBe(
      'git fetch failed: fatal: unable to access https://host/x: token *** rejected',
    );
    expect(error.cause).toBeUndefined();
  });

  it.each([
    ["fatal: couldn't find remote ref refs/heads/nope", 'SOURCE_BRANCH_NOT_FOUND'],
    ['fatal: Authentication failed for https://host/x', 'SOURCE_AUTH_FAILED'],
    ['git@host: Permission denied (publickey).', 'SOURCE_AUTH_FAILED'],
    ['Host key verification failed.', 'SOURCE_SSH_HOST_KEY'],
    ['WARNING: UNPROTECTED PRIVATE KEY FILE!', 'SOURCE_SSH_KEY_PERMISSIONS'],
    ["fatal: transport 'file' not allowed", 'SOURCE_PROTOCOL_REFUSED'],
  ])('maps %j to %s', (stderr, code) => {
    expect(toSyncError(new GitError(undefined, stderr), 'fetch', []).code).toBe(code);
  });

  it('names the --allow-file-urls flag when git refuses the file transport', () => {
    const error = toSyncError(new GitError(undefined, "fatal: transport 'file' not allowed"), 'fetch', []);
    expect(error.message).toBe(
      "git fetch failed: the transport is not allowed (https and ssh only; file needs --allow-file-urls) (fatal: transport 'file' not allowed)",
    );
  });

  it('reports checkout failures as such', () => {
    expect(toSyncError(new Error('fatal: bad object'), 'checkout', []).code).toBe('SOURCE_CHECKOUT_FAILED');
  });
});
