import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactText } from '../../src/log.js';
import { clientConfig } from '../../src/state/pg/connection.js';
import { useTempDirs } from './helpers.js';

// The state database's password, wherever it comes from, is registered as a secret as soon
// as it is known: a server or driver message that quotes it shows [REDACTED]. No server
// is needed: the settings are built, and the password looked up, without connecting.
const tempDir = useTempDirs();

describe('the state database password is a registered secret', () => {
  it('from the URL, as the settings are built', () => {
    clientConfig('postgres://app:pg-url-secret-7d1c@db.example:5432/state', {});
    expect(redactText('auth failed for pg-url-secret-7d1c')).toBe('auth failed for [REDACTED]');
  });

  it('from --state-password-file, once it is read', async () => {
    const file = path.join(await tempDir(), 'password');
    await writeFile(file, 'pg-file-secret-2b9e\n');
    const config = clientConfig('postgres://app@db.example:5432/state', { passwordFile: file });
    expect(redactText('auth failed for pg-file-secret-2b9e')).toBe('auth failed for pg-file-secret-2b9e');
    const password = config.password as () => Promise<string>;
    expect(await password()).toBe('pg-file-secret-2b9e');
    expect(redactText('auth failed for pg-file-secret-2b9e')).toBe('auth failed for [REDACTED]');
  });
});

describe('the state database password file', () => {
  it('is refused, naming it, when it holds only blanks', async () => {
    const file = path.join(await tempDir(), 'password');
    await writeFile(file, '  \t\n');
    const config = clientConfig('postgres://app@db.example:5432/state', { passwordFile: file });
    const password = config.password as () => Promise<string>;
    await expect(password()).rejects.toMatchObject({
      code: 'STATE_PASSWORD_FILE',
      message: `--state-password-file: the state password file ${file} holds only blanks: write the database password in it`,
    });
  });
});
