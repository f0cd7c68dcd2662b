import { describe, expect, it } from 'vitest';
import { SourceConfigError } from './errors.js';
import { checkGitUrl, displayUrl } from './git-url.js';

const strict = { allowFileUrls: false };

function refusal(url: string, options = strict): SourceConfigError {
  try {
    checkGitUrl(url, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SourceConfigError);
    return error as SourceConfigError;
  }
  throw new Error(`${url} was accepted`);
}

describe('checkGitUrl', () => {
  it.each([
    ['https://github.com/acme/audiences.git', 'https'],
    ['https://git.example.com:8443/group/sub/repo', 'https'],
    ['ssh://git@github.com/acme/audiences.git', 'ssh'],
    ['ssh://git@[::1]:2222/repo.git', 'ssh'],
    ['git@github.com:acme/audiences.git', 'ssh'],
    ['github.com:acme/audiences.git', 'ssh'],
  ])('accepts %s as %s', (url, transport) => {
    expect(checkGitUrl(url, strict).transport).toBe(transport);
  });

  it('gives the origin a token may be offered to', () => {
    expect(checkGitUrl('https://git.example.com:8443/a/b.git', strict).origin).toBe(
      'https://git.example.com:8443',
    );
    expect(checkGitUrl('git@github.com:a/b.git', strict).origin).toBeUndefined();
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /transport helpers/],
    ['fd::17', /transport helpers/],
    ['ext::ssh -oProxyCommand=x', /transport helpers/],
    ['-oProxyCommand=touch /tmp/x', /starting with "-"/],
    ['--upload-pack=touch /tmp/x', /starting with "-"/],
    ['ssh://-oProxyCommand=x/repo', /starting with "-"/],
    ['git@-oProxyCommand=x:repo', /local paths/],
    ['git@github.com:-x/repo', /starting with "-"/],
    ['http://github.com/acme/a.git', /http:\/\/ scheme is not allowed/],
    ['git://github.com/acme/a.git', /git:\/\/ scheme is not allowed/],
    ['file:///srv/repo.git', /--allow-file-urls/],
    ['/srv/repo.git', /--allow-file-urls/],
    ['./repo', /--allow-file-urls/],
    ['https://github.com/a/b.git\n[core]', /control characters/],
    ['', /empty/],
  ])('refuses %s', (url, reason) => {
    const error = refusal(url);
    expect(error.code).toBe('SOURCE_URL_REFUSED');
    expect(error.message).toMatch(reason);
  });

  it('refuses credentials in the URL without repeating them', () => {
    for (const url of [
      'https://x:CANARY-123@github.com/a/b.git',
      'https://CANARY-123@github.com/a/b.git',
      // review 20a: read as host "x", port 2024 and a path holding the rest of the token.
      'https://x:2024/CANARY-123@github.com/a/b.git',
      'ssh://git:2024/CANARY-123@github.com/a/b.git',
      // review 21: a `?` or `#` in it makes the URL unreadable, and the refusal showed it whole;
      // an scp-like `user:token@host:path` was accepted (host "user") and logged on every sync.
      'https://x:pa?CANARY-123@github.com/a/b.git',
      'https://x:pa#CANARY-123@github.com/a/b.git',
      'ssh://git:pa?CANARY-123@github.com/a/b.git',
      'deploy:CANARY-123@github.com:org/audiences.git',
    ]) {
      const error = refusal(url);
      expect(error.message).not.toContain('CANARY-123');
      expect(error.message).toMatch(/token|user name/);
    }
  });

  // review 21, L1: a path holding "@" after host:port reads as a password not percent-encoded;
  // the refusal says both and how to write the path, not that a password is there.
  it('refuses an "@" after host and port naming both readings', () => {
    expect(refusal('https://git.example.com:8443/scm/~jdoe@example.com/audiences.git').message).toBe(
      'repository URL refused: it holds "@" after its host and port, as a password or token not percent-encoded does (pass the token through AUDIENCECTL_GIT_TOKEN instead); an "@" in the path is written %40',
    );
    expect(
      checkGitUrl('https://git.example.com:8443/scm/~jdoe%40example.com/audiences.git', strict).url,
    ).toBe('https://git.example.com:8443/scm/~jdoe%40example.com/audiences.git');
  });

  it('refuses a token in the query without repeating it, and keeps other queries', () => {
    for (const url of [
      'https://gitlab.example.com/a/b.git?private_token=CANARY-123',
      'https://host/a/b.git?ref=main&access-token=CANARY-123',
      'ssh://git@host/a/b.git?sig=CANARY-123',
    ]) {
      const error = refusal(url);
      expect(error.code).toBe('SOURCE_URL_REFUSED');
      expect(error.message).not.toContain('CANARY-123');
      expect(error.message).toContain('AUDIENCECTL_GIT_TOKEN');
    }
    expect(checkGitUrl('https://host/a/b.git?ref=main', { allowFileUrls: false }).transport).toBe('https');
  });

  // review 37d, L-2: passed, and git sent the token with every fetch.
  it.each([
    ['https://host/a/b.git?ref=main;token=CANARY-123', 'query', 'token'],
    ['https://host/a/b.git#access_token=CANARY-123', 'fragment', 'access_token'],
    ['https://host/a/b.git#ref=main;Private-Token=CANARY-123', 'fragment', 'Private-Token'],
    ['ssh://git@host/a/b.git?ref=main;sig=CANARY-123', 'query', 'sig'],
    ['git@host:a/b.git?ref=main;token=CANARY-123', 'query', 'token'],
    ['git@host:a/b.git#access_token=CANARY-123', 'fragment', 'access_token'],
  ])('refuses %s: a credential after ";" or in the fragment', (url, part, name) => {
    expect(refusal(url).message).toBe(
      `repository URL refused: its ${part} carries a credential ("${name}"); pass the token through AUDIENCECTL_GIT_TOKEN instead`,
    );
  });

  // refusals-38: a `;name=value` parameter of the path passed; git sends the path as written
  // with every request, keeps it in the clone's config, and the log showed it.
  it.each([
    ['https://host/a/b.git;token=CANARY-123', 'token'],
    ['https://host/scm/a;JSESSIONID=CANARY-123/b.git', 'JSESSIONID'],
    ['https://host/a/b.git;v=1&access_token=CANARY-123', 'access_token'],
    ['ssh://git@host/a/b.git;%74oken=CANARY-123', '%74oken'],
    ['git@host:a/b.git;sig=CANARY-123', 'sig'],
  ])('refuses %s: a credential in a path parameter', (url, name) => {
    expect(refusal(url).message).toBe(
      `repository URL refused: its path carries a credential ("${name}"); pass the token through AUDIENCECTL_GIT_TOKEN instead`,
    );
  });

  it('keeps a path parameter that carries no credential', () => {
    expect(checkGitUrl('https://host/a;v=1/b.git;tokens', strict).url).toBe(
      'https://host/a;v=1/b.git;tokens',
    );
  });

  it('keeps a ";" or a fragment that carries no credential', () => {
    expect(checkGitUrl('https://host/a/b.git?ref=main;depth=1#main', strict).url).toBe(
      'https://host/a/b.git?ref=main;depth=1#main',
    );
  });

  it('allows file URLs and absolute paths only when asked', () => {
    const allow = { allowFileUrls: true };
    expect(checkGitUrl('file:///srv/repo.git', allow).transport).toBe('file');
    expect(checkGitUrl('/srv/repo.git', allow).transport).toBe('file');
    expect(refusal('relative/repo', allow).message).toMatch(/absolute path/);
    expect(refusal('ext::sh -c x', allow).code).toBe('SOURCE_URL_REFUSED');
  });

  it('strips user info for display', () => {
    expect(displayUrl('https://user:secret@host/a.git')).toBe('https://host/a.git');
    expect(displayUrl('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
  });
});
