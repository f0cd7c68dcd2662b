import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseStateLocation } from '../state/location.js';
import { NO_PASTE_FLAGS, pasteFlags, pastedFlags, stateImportCommand } from './paste-flags.js';

/** The words `/bin/sh` reads from `text`, one per line (printf of each argument). */
function shellWords(text: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\n' ${text}`], { encoding: 'utf8' });
  return out.split('\n').slice(0, -1);
}

describe('pasteFlags: the flags a printed command carries', () => {
  it('carries nothing when nothing was typed: the environment and the defaults are inherited', () => {
    const none = pasteFlags({});
    expect(none).toEqual(NO_PASTE_FLAGS);
    for (const command of ['plan', 'apply', 'init', 'state'] as const)
      expect(pastedFlags(none, command)).toBe('');
    expect(pastedFlags(undefined, 'apply')).toBe('');
  });

  it('carries --state, --state-password-file and --config as typed, each one shell word', () => {
    const flags = pasteFlags({
      state: "./st $HOME it's",
      statePasswordFile: '/run/secrets/pg pass',
      config: 'prod.yaml',
    });
    const printed = pastedFlags(flags, 'state');
    expect(printed).toBe(
      ` --state './st $HOME it'\\''s' --state-password-file '/run/secrets/pg pass' --config prod.yaml`,
    );
    expect(shellWords(printed)).toEqual([
      '--state',
      "./st $HOME it's",
      '--state-password-file',
      '/run/secrets/pg pass',
      '--config',
      'prod.yaml',
    ]);
  });

  it('adds --emulator to apply and init only (plan and state commands have no such flag)', () => {
    const flags = pasteFlags({ state: 'st', emulator: true });
    expect(pastedFlags(flags, 'apply')).toBe(' --state st --emulator');
    expect(pastedFlags(flags, 'init')).toBe(' --state st --emulator');
    expect(pastedFlags(flags, 'plan')).toBe(' --state st');
    expect(pastedFlags(flags, 'state')).toBe(' --state st');
  });

  it('leaves --state out for a command that names its store itself', () => {
    const flags = pasteFlags({ state: 'st', config: 'c.yaml' });
    expect(pastedFlags(flags, 'init', { withState: false })).toBe(' --config c.yaml');
  });
});

describe('pasteFlags of a PostgreSQL URL: its password is never printed', () => {
  it('drops the password of the URL and says where a password goes instead', () => {
    const flags = pasteFlags({ state: 'postgres://app:s3cr3t-pw@db.internal:5432/audiences?schema=prod' });
    const printed = pastedFlags(flags, 'state');
    expect(printed).toBe(
      " --state 'postgres://app@db.internal:5432/audiences?schema=prod' --state-password-file PASSWORD_FILE",
    );
    expect(printed).not.toContain('s3cr3t-pw');
  });

  it('drops secret query parameters (never masks them: a *** would be sent), keeps the others', () => {
    const flags = pasteFlags({
      state: 'postgresql://app@db/aud?sslmode=require&password=s3cr3t-pw&sslpassword=k3y-pw&schema=x',
    });
    const printed = pastedFlags(flags, 'state');
    expect(printed).toBe(
      " --state 'postgresql://app@db/aud?sslmode=require&schema=x' --state-password-file PASSWORD_FILE",
    );
    expect(printed).not.toMatch(/s3cr3t-pw|k3y-pw|\*\*\*/);
  });

  it('with a password file typed, carries it instead of the placeholder', () => {
    const flags = pasteFlags({
      state: 'postgres://app:s3cr3t-pw@db/aud',
      statePasswordFile: '/run/secrets/pg',
    });
    expect(pastedFlags(flags, 'state')).toBe(
      ' --state postgres://app@db/aud --state-password-file /run/secrets/pg',
    );
  });

  it('prints a URL without a password as typed, and it reads back as one word', () => {
    const url = 'postgres://app@db:5432/aud?schema=prod&sslmode=verify-full';
    const printed = pastedFlags(pasteFlags({ state: url }), 'state');
    expect(printed).toBe(` --state '${url}'`);
    expect(shellWords(printed)).toEqual(['--state', url]);
  });
});

describe('placeholders in a printed command: words a shell passes on as they are', () => {
  it('the manifests directory and the audience id of a state import, and the password file of a URL', () => {
    const flags = pasteFlags({ state: 'postgres://app:s3cr3t-pw@db/aud' });
    const command = stateImportCommand('gold', 'prod', flags);
    expect(command).toBe(
      'audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID --state postgres://app@db/aud --state-password-file PASSWORD_FILE',
    );
    expect(shellWords(command)).toEqual([
      'audiencectl',
      'state',
      'import',
      'gold',
      'MANIFESTS_DIR',
      '--sandbox',
      'prod',
      '--audience-id',
      'AUDIENCE_ID',
      '--state',
      'postgres://app@db/aud',
      '--state-password-file',
      'PASSWORD_FILE',
    ]);
  });

  it('an audience id that is not a plain word (a hand-edited record) is one shell word, quoted', () => {
    const id = "x'; touch pwned $HOME";
    const command = stateImportCommand('gold', 'prod', NO_PASTE_FLAGS, id);
    expect(command).toBe(
      `audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id 'x'\\''; touch pwned $HOME'`,
    );
    expect(shellWords(command).slice(7)).toEqual(['--audience-id', id]);
  });

  it('a URL the URL parser refuses: the --state word printed in its place is one audiencectl refuses (not a directory it would create)', () => {
    const printed = pastedFlags(pasteFlags({ state: 'postgres://app:s3cr3t-pw@[db/aud' }), 'state');
    expect(printed).not.toContain('s3cr3t-pw');
    const [flag, word] = shellWords(printed);
    expect(flag).toBe('--state');
    expect(() => parseStateLocation(word!)).toThrow(UsageError);
  });

  it('a password not percent-encoded, read as host, port and path: no part of it is printed (review 20a, H1)', () => {
    const printed = pastedFlags(pasteFlags({ state: 'postgres://app:2024/Summer-pw@db:5432/aud' }), 'state');
    expect(printed).not.toContain('Summer-pw');
    expect(printed).not.toContain('2024');
    const [flag, word] = shellWords(printed);
    expect(flag).toBe('--state');
    expect(() => parseStateLocation(word!)).toThrow(UsageError);
  });
});
