import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scrubSecrets, secretRegistrySnapshot } from '../text/secrets.js';
import { registerConfigFileSecrets } from './file-secrets.js';

const dirs: string[] = [];
let restoreSecrets: () => void = () => undefined;
beforeEach(() => {
  restoreSecrets = secretRegistrySnapshot();
});
afterEach(async () => {
  restoreSecrets();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function configWith(lines: string[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-config-'));
  dirs.push(dir);
  const file = path.join(dir, 'aep.yaml');
  await writeFile(file, [...lines, ''].join('\n'));
  return { dir, file };
}

describe('the client secrets a configuration file gives, registered for scrubbing', () => {
  it('registers the one written in it, the one in the variable it names and the one in the file it names', async () => {
    const { dir, file } = await configWith([
      'credentials:',
      '  clientSecret: written-In-5c81a2',
      'sandboxes:',
      '  prod: { clientSecretEnv: PROD_SECRET }',
      '  dev: { clientSecretFile: secrets/dev.txt }',
    ]);
    await mkdir(path.join(dir, 'secrets'));
    // Relative to the configuration file's directory, not to the working directory.
    await writeFile(path.join(dir, 'secrets', 'dev.txt'), '  in-File-0d93be \n');
    await registerConfigFileSecrets(file, { PROD_SECRET: ' in-Var-7a2e44\n' });
    expect(scrubSecrets('a: written-In-5c81a2, b: in-Var-7a2e44, c: in-File-0d93be.')).toBe(
      'a: [REDACTED], b: [REDACTED], c: [REDACTED].',
    );
  });

  it('reads a file ending in a lone --- (an empty document), as the configuration reader does', async () => {
    const { file } = await configWith(['credentials:', '  clientSecret: trailing-Doc-61b0e4', '---']);
    await registerConfigFileSecrets(file, {});
    expect(scrubSecrets('trailing-Doc-61b0e4')).toBe('[REDACTED]');
  });

  it('reads a key spelled with escapes in a quoted key, as the configuration reader does', async () => {
    const { file } = await configWith(['sandboxes:', '  prod: { "client\\x53ecretEnv": PROD_SECRET }']);
    await registerConfigFileSecrets(file, { PROD_SECRET: 'escaped-Key-3f19d0' });
    expect(scrubSecrets('escaped-Key-3f19d0')).toBe('[REDACTED]');
  });

  it('passes over, without failing, what it cannot have', async () => {
    const { dir, file } = await configWith([
      'credentials:',
      '  clientSecretEnv: UNSET_SECRET',
      'sandboxes:',
      '  prod: { clientSecretFile: no-such-file.txt }',
      '  dev: { clientSecretFile: fifo }',
      '  test: { clientSecretFile: . }',
      '  qa: { clientSecretEnv: QA_SECRET }',
    ]);
    // A named pipe nobody writes to: opened without waiting for a writer, and refused.
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    await registerConfigFileSecrets(file, { QA_SECRET: 'still-Read-61b7ce' });
    // The rest of the file is still read.
    expect(scrubSecrets('still-Read-61b7ce')).toBe('[REDACTED]');
    const { file: broken } = await configWith(['credentials: {', '  clientSecret: broken-Yaml-28e4f1']);
    await registerConfigFileSecrets(broken, {});
    await registerConfigFileSecrets(path.join(dir, 'no-such-config.yaml'), {});
    await registerConfigFileSecrets(path.join(dir, 'fifo'), {});
    expect(scrubSecrets('broken-Yaml-28e4f1')).toBe('broken-Yaml-28e4f1');
  });
});
