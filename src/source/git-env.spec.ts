import { describe, expect, it } from 'vitest';
import { SourceConfigError } from './errors.js';
import { allowedProtocols, gitConfigText } from './git-env.js';
import { parseGitSourceOptions } from './git-options.js';
import { checkGitUrl } from './git-url.js';

function configFor(input: Parameters<typeof parseGitSourceOptions>[0]): string {
  const options = parseGitSourceOptions(input);
  return gitConfigText(options, checkGitUrl(options.url, options), '/w/home');
}

describe('private git configuration', () => {
  it('offers the token only to the repository origin and never writes it', () => {
    const text = configFor({
      url: 'https://git.example.com:8443/a/b.git',
      workDir: '/w',
      token: 'CANARY-TOKEN',
    });
    expect(text).toContain('[credential "https://git.example.com:8443"]');
    expect(text).toContain('$AUDIENCECTL_GIT_TOKEN');
    expect(text).not.toContain('CANARY-TOKEN');
    // The unscoped helper list is reset, so no other helper sees the request.
    expect(text).toMatch(/\[credential\]\n\thelper = \n/);
  });

  it('builds a hermetic ssh command with the key and host checking', () => {
    const text = configFor({
      url: 'git@github.com:a/b.git',
      workDir: '/w',
      sshKeyFile: '/secrets/id_ed25519',
      knownHostsFile: '/secrets/known_hosts',
    });
    expect(text).toContain("-i '/secrets/id_ed25519' -o IdentitiesOnly=yes");
    expect(text).toContain("UserKnownHostsFile='/secrets/known_hosts'");
    expect(text).toContain('StrictHostKeyChecking=yes');
    expect(text).toContain('-F /dev/null');
    expect(text).toContain('symlinks = false');
    expect(text).toContain('recurseSubmodules = false');
  });

  it('refuses file paths that could break out of the ssh command', () => {
    expect(() =>
      configFor({ url: 'git@h:a/b.git', workDir: '/w', sshKeyFile: "/k'; touch /tmp/x; '" }),
    ).toThrow(SourceConfigError);
  });

  it('allows the file transport only when asked', () => {
    expect(allowedProtocols(parseGitSourceOptions({ url: 'x', workDir: '/w' }))).toBe('https:ssh');
    expect(allowedProtocols(parseGitSourceOptions({ url: 'x', workDir: '/w', allowFileUrls: true }))).toBe(
      'https:ssh:file',
    );
  });
});
