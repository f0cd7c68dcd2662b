import { describe, expect, it } from 'vitest';
import { repositoryIdOf } from './repository-id.js';

describe('repositoryIdOf', () => {
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
  ])('reads %s as github.com acme/audiences', (url) => {
    expect(repositoryIdOf(url)).toEqual({ host: 'github.com', path: 'acme/audiences' });
  });

  it('keeps the host, so the same name on GitHub Enterprise is another repository', () => {
    expect(repositoryIdOf('https://ghe.example.com/acme/audiences.git')).toEqual({
      host: 'ghe.example.com',
      path: 'acme/audiences',
    });
    expect(repositoryIdOf('git@[::1]:acme/audiences.git')).toEqual({ host: '::1', path: 'acme/audiences' });
    expect(repositoryIdOf('https://127.0.0.1:8443/group/sub/repo.git')).toEqual({
      host: '127.0.0.1',
      path: 'group/sub/repo',
    });
  });

  it('drops the user and any password, so an id can be logged', () => {
    const id = repositoryIdOf('https://x-access-token:CANARY-123@github.com/acme/audiences.git');
    expect(id).toEqual({ host: 'github.com', path: 'acme/audiences' });
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
    expect(repositoryIdOf(url)).toBeUndefined();
  });
});
