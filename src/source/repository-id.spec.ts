import { describe, expect, it } from 'vitest';
import { namesConfiguredPath, repositoryPathOf } from './repository-id.js';

describe('repositoryPathOf', () => {
  it.each([
    'https://github.com/acme/audiences.git',
    'https://github.com/acme/audiences',
    'https://github.com/acme/audiences/',
    'https://github.com/acme/audiences.git/',
    'https://GitHub.com/Acme/Audiences.GIT',
    'https://github.com:443/acme/audiences.git',
    'https://github.com/acme/audiences.git?ref=main',
    'http://github.com/acme/audiences',
    'ssh://git@github.com/acme/audiences.git',
    'ssh://git@github.com:22/acme/audiences.git',
    'ssh://git@ssh.github.com:443/acme/audiences.git',
    'git+ssh://git@github.com/acme/audiences.git',
    'git://github.com/acme/audiences.git',
    'git@github.com:acme/audiences.git',
    'git@GITHUB.COM:ACME/audiences',
    'github.com:acme/audiences.git',
    'git@github.com:/acme/audiences.git/',
  ])('reads %s as acme/audiences', (url) => {
    expect(repositoryPathOf(url)).toBe('acme/audiences');
  });

  it('reads the path on any host, a nested one whole', () => {
    expect(repositoryPathOf('https://ghe.example.com/acme/audiences.git')).toBe('acme/audiences');
    expect(repositoryPathOf('git@[::1]:acme/audiences.git')).toBe('acme/audiences');
    expect(repositoryPathOf('https://127.0.0.1:8443/group/sub/repo.git')).toBe('group/sub/repo');
  });

  it('drops the user and any password', () => {
    expect(repositoryPathOf('https://x-access-token:CANARY-123@github.com/acme/audiences.git')).toBe(
      'acme/audiences',
    );
  });

  // A servlet host's session (Bitbucket Data Center, Gerrit) in a path's `;jsessionid=`: kept, the
  // records and every other repository's plan showed it (lower-cased, past the URL scrubbing,
  // which masks it only in a URL), and each clone of another session named another repository.
  it.each([
    'https://git.example.com/acme/audiences.git;jsessionid=ABCDEF0123456789',
    'https://git.example.com/acme;jsessionid=ABCDEF0123456789/audiences.git',
    'https://git.example.com/acme/audiences;v=1;jsessionid=ABCDEF0123456789',
    'ssh://git@git.example.com/acme/audiences.git;jsessionid=ABCDEF0123456789',
  ])('reads %s as acme/audiences, without its path parameters', (url) => {
    expect(repositoryPathOf(url)).toBe('acme/audiences');
  });

  // A password git would take for the host (`deploy:TOKEN@github.com:…`, host `deploy`), or for
  // a port and path (`https://u:2024/pw@…`): read as a path, the records and every other
  // repository's plan ("Other repositories") kept part of it, lower-cased, past any scrubbing.
  it.each([
    'deploy:ghp_CANARY123@github.com:acme/audiences.git',
    'https://deploy:2024/CANARY123@github.com/acme/audiences.git',
  ])('names no repository for %j, whose path would hold a password', (url) => {
    expect(repositoryPathOf(url)).toBeUndefined();
  });

  it.each([
    '/srv/git/audiences.git',
    './audiences',
    'file:///srv/git/audiences.git',
    'https://github.com/',
    'https://github.com/.git',
    'ftp://github.com/acme/audiences.git',
    'https://[not-a-host/acme/a',
    '',
  ])('names no hosted repository for %j', (url) => {
    expect(repositoryPathOf(url)).toBeUndefined();
  });
});

describe('namesConfiguredPath', () => {
  it('takes the same path, or its end after a slash (a proxy prefix), and nothing else', () => {
    expect(namesConfiguredPath('acme/audiences', 'acme/audiences')).toBe(true);
    expect(namesConfiguredPath('git/acme/audiences', 'acme/audiences')).toBe(true);
    expect(namesConfiguredPath('acme/audiences', 'cme/audiences')).toBe(false);
    expect(namesConfiguredPath('xacme/audiences', 'acme/audiences')).toBe(false);
    expect(namesConfiguredPath('acme/audiences', 'git/acme/audiences')).toBe(false);
  });
});
