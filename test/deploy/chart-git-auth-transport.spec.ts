import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';

/**
 * REVIEW chart-42 L-1. git.auth names the credential the controller sends, and each works over one
 * transport only: the token (AUDIENCECTL_GIT_TOKEN) through a credential helper git asks for
 * HTTPS only, the deploy key (AUDIENCECTL_GIT_SSH_KEY_FILE) through ssh only. The chart renders
 * `git.auth: token` with the ssh URL GitHub shows first (`git@github.com:acme/audiences.git`),
 * and `git.auth: ssh` with an https:// URL: the credential was mounted and never used, helm
 * install succeeded, and the pod stayed unready on a fetch error about host keys or a refused
 * login, which never named git.auth. The chart refuses it in one line naming both.
 */
const BASE = {
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
};
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

const CASES = [
  {
    what: 'git.auth token with an scp-like ssh URL',
    git: { url: 'git@github.com:acme/audiences.git', auth: 'token' },
    secret: { gitToken: 'ghp_0123456789' },
  },
  {
    what: 'git.auth token with an ssh:// URL',
    git: { url: 'ssh://git@github.com/acme/audiences.git', auth: 'token' },
    secret: { gitToken: 'ghp_0123456789' },
  },
  {
    what: 'git.auth ssh with an https:// URL',
    git: {
      url: 'https://github.com/acme/audiences.git',
      auth: 'ssh',
      knownHosts: 'github.com ssh-ed25519 AAAA',
    },
    secret: { gitSshPrivateKey: KEY },
  },
];

describe('a git credential for the other transport', () => {
  describe.each(helmBinaries())('helm $major', (bin) => {
    it.concurrent.each(CASES)('$what is refused in one line naming git.auth and git.url', async (c) => {
      const result = await template(bin, {
        values: { ...BASE, git: c.git, secret: { ...BASE.secret, ...c.secret } },
      });
      expect(result.code).not.toBe(0);
      const [line = ''] = result.stderr.split('\n');
      expect(line).toContain('git.auth');
      expect(line).toContain('git.url');
      // Never the token or the key.
      expect(result.stderr).not.toContain('ghp_0123456789');
      expect(result.stderr).not.toContain('AAAA\n');
    });
  });
});
