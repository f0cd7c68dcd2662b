import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

// Review 40 (cli2-40) 1: `run --http-token X --http-token-file f` was refused with "give the
// HTTP token either with --http-token-file or AUDIENCECTL_HTTP_TOKEN, not both": the variable,
// which the user had not set, rather than the flag typed. Each refusal of two settings names
// the two as given (flag or variable), and never the token or secret.

const TOKEN = `conflict-token-${randomUUID()}`;
const SHORT_SECRET = 'hook-9e12-short';
const WEBHOOK_SECRET = `conflict-webhook-${randomUUID()}`;

/** The one-line refusal of `run` given `args` (after `--dir <tmp>` unless `dir` is false) and `env`. */
async function refusal(args: string[], env: Record<string, string>, dir = true): Promise<string> {
  return withTempDir(async (tmp) => {
    const tokenFile = path.join(tmp, 'http-token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const secretFile = path.join(tmp, 'webhook-secret');
    await writeFile(secretFile, `${WEBHOOK_SECRET}\n`);
    const expand = (value: string) =>
      value.replace('TOKEN_FILE', tokenFile).replace('SECRET_FILE', secretFile);
    const result = await runCli(
      [
        'run',
        ...(dir ? ['--dir', tmp] : []),
        '--state',
        path.join(tmp, 'state'),
        '--emulator',
        ...args.map(expand),
      ],
      {
        env: {
          AUDIENCECTL_LISTEN: '127.0.0.1:0',
          ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, expand(v)])),
        },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(SHORT_SECRET);
    expect(result.stderr).not.toContain(WEBHOOK_SECRET);
    return result.stderr;
  });
}

describe('audiencectl run: two settings refused name the two given', () => {
  it('--http-token and --http-token-file, both typed', async () => {
    const stderr = await refusal(['--http-token', TOKEN, '--http-token-file', 'TOKEN_FILE'], {});
    expect(stderr).toContain('--http-token-file');
    expect(stderr).toMatch(/--http-token\b(?!-)/);
    expect(stderr).not.toContain('AUDIENCECTL_HTTP_TOKEN');
  });

  it('AUDIENCECTL_HTTP_TOKEN with --http-token-file', async () => {
    const stderr = await refusal(['--http-token-file', 'TOKEN_FILE'], { AUDIENCECTL_HTTP_TOKEN: TOKEN });
    expect(stderr).toContain('--http-token-file');
    expect(stderr).toContain('AUDIENCECTL_HTTP_TOKEN');
    expect(stderr).not.toContain('AUDIENCECTL_HTTP_TOKEN_FILE');
  });

  it('--http-token with AUDIENCECTL_HTTP_TOKEN_FILE', async () => {
    const stderr = await refusal(['--http-token', TOKEN], { AUDIENCECTL_HTTP_TOKEN_FILE: 'TOKEN_FILE' });
    expect(stderr).toContain('AUDIENCECTL_HTTP_TOKEN_FILE');
    expect(stderr).toMatch(/--http-token\b(?!-)/);
    expect(stderr).not.toContain('--http-token-file');
  });

  // Review secrets-45: the webhook secret's file form, refused beside the secret itself.
  it('AUDIENCECTL_WEBHOOK_SECRET with AUDIENCECTL_WEBHOOK_SECRET_FILE', async () => {
    const stderr = await refusal([], {
      AUDIENCECTL_WEBHOOK_SECRET: WEBHOOK_SECRET,
      AUDIENCECTL_WEBHOOK_SECRET_FILE: 'SECRET_FILE',
    });
    expect(stderr).toBe(
      'Error: give the webhook secret either with AUDIENCECTL_WEBHOOK_SECRET_FILE or AUDIENCECTL_WEBHOOK_SECRET, not both\n',
    );
  });

  it('--webhook-secret with --webhook-secret-file, both typed', async () => {
    const stderr = await refusal(
      ['--webhook-secret', WEBHOOK_SECRET, '--webhook-secret-file', 'SECRET_FILE'],
      {},
    );
    expect(stderr).toBe(
      'Error: give the webhook secret either with --webhook-secret-file or --webhook-secret, not both\n',
    );
  });

  it('AUDIENCECTL_WEBHOOK_SECRET_FILE naming no file names the variable, not the path', async () => {
    const stderr = await refusal([], { AUDIENCECTL_WEBHOOK_SECRET_FILE: 'SECRET_FILE.missing' });
    expect(stderr).toBe('Error: AUDIENCECTL_WEBHOOK_SECRET_FILE: cannot read the path given (ENOENT)\n');
  });

  it('--repo with AUDIENCECTL_DIR', async () => {
    const stderr = await refusal(['--repo', 'https://example.com/a.git'], { AUDIENCECTL_DIR: '.' }, false);
    expect(stderr).toContain('give either --repo or AUDIENCECTL_DIR, not both');
  });

  it('a short webhook secret typed names --webhook-secret alone', async () => {
    const stderr = await refusal(['--webhook-secret', SHORT_SECRET], {});
    expect(stderr).toMatch(/webhook secret .*must be at least 16 characters/);
    expect(stderr).toContain('--webhook-secret');
    expect(stderr).not.toContain('AUDIENCECTL_WEBHOOK_SECRET');
  });

  it('a short webhook secret from AUDIENCECTL_WEBHOOK_SECRET names the variable alone', async () => {
    const stderr = await refusal([], { AUDIENCECTL_WEBHOOK_SECRET: SHORT_SECRET });
    expect(stderr).toContain('AUDIENCECTL_WEBHOOK_SECRET');
    expect(stderr).not.toContain('--webhook-secret');
  });
});

describe('audiencectl run: a setting that needs another names the one given', () => {
  it('AUDIENCECTL_WEBHOOK_LISTEN without a webhook secret', async () => {
    const stderr = await refusal([], { AUDIENCECTL_WEBHOOK_LISTEN: '127.0.0.1:0' });
    expect(stderr).toContain('AUDIENCECTL_WEBHOOK_LISTEN needs a webhook secret');
  });
});
