import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

/**
 * Review 33, L-6. docs/controller.md: "Every value is checked before the controller starts, and
 * a bad one names its flag or variable". A `--git-ssh-key-file`, `--git-known-hosts-file` or
 * `--git-ca-file` that does not exist used to be left to git: the controller started, was never
 * ready, and every sync failed with git's own words ("Identity file /x not accessible"), naming
 * neither flag nor variable. Now it is refused at start in one line naming either.
 */
const started = /controller started/;

describe('audiencectl run given a git credential file that does not exist', () => {
  for (const [flag, variable, repo] of [
    ['--git-ssh-key-file', 'AUDIENCECTL_GIT_SSH_KEY_FILE', 'ssh://git@127.0.0.1:1/acme/audiences.git'],
    [
      '--git-known-hosts-file',
      'AUDIENCECTL_GIT_KNOWN_HOSTS_FILE',
      'ssh://git@127.0.0.1:1/acme/audiences.git',
    ],
    ['--git-ca-file', 'AUDIENCECTL_GIT_CA_FILE', 'https://127.0.0.1:1/acme/audiences.git'],
  ] as const) {
    const missingSaid = (missing: string) =>
      flag === '--git-ssh-key-file'
        ? `cannot read the path given: it does not exist (relative paths start at ${process.cwd()}; the path is not shown, in case it is the secret itself)`
        : `cannot read ${missing}: it does not exist`;
    it(`is refused at start, naming ${flag} (and ${variable} when it came from there)`, async () => {
      await withTempDir(async (tmp) => {
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const missing = path.join(tmp, 'no-such-file');
        const common = ['run', '--repo', repo, '--state', state, '--work-dir', path.join(tmp, 'work')];
        const env = { AUDIENCECTL_LISTEN: '127.0.0.1:0', AUDIENCECTL_DRY_RUN: 'true' };
        const byFlag = await runCli([...common, flag, missing], { env, stopOn: started });
        expect(byFlag.stderr).not.toMatch(started);
        expect(byFlag.code).toBe(1);
        expect(byFlag.stderr).toContain(flag);
        // One line, naming the flag and the path, without a stack trace; the path of an SSH key
        // is not repeated (a key pasted in its place would be printed: secrets-cli), but where a
        // relative one starts is said.
        expect(byFlag.stderr).toBe(`Error: ${flag}: ${missingSaid(missing)}\n`);
        const byVariable = await runCli(common, { env: { ...env, [variable]: missing }, stopOn: started });
        expect(byVariable.code).toBe(1);
        expect(byVariable.stderr).toContain(variable);
        expect(byVariable.stderr).toBe(`Error: ${variable}: ${missingSaid(missing)}\n`);
      });
    });
  }

  it('leaves a missing --git-known-hosts-file to ssh under accept-new, which records the host there', async () => {
    await withTempDir(async (tmp) => {
      const state = path.join(tmp, 'state');
      await mkdir(state);
      const result = await runCli(
        [
          ...['run', '--repo', 'ssh://git@127.0.0.1:1/acme/audiences.git', '--state', state],
          ...['--work-dir', path.join(tmp, 'work'), '--git-known-hosts-file', path.join(tmp, 'known_hosts')],
          ...['--git-strict-host-key-checking', 'accept-new'],
        ],
        { env: { AUDIENCECTL_LISTEN: '127.0.0.1:0', AUDIENCECTL_DRY_RUN: 'true' }, stopOn: started },
      );
      expect(result.stderr).toMatch(started);
    });
  });
});
