import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { AEP_ENV_VARS } from '../../src/config.js';

/**
 * Every AEP_* variable the client reads (src/config/env.ts) is in the variables table of the
 * README's "Configuration" and of docs/configuration.md's "Environment variables". The
 * README's lacked AEP_CLIENT_SECRET_FILE (6eaa9179 added it, and the chart gives the secret
 * so): a reader of the README alone set the secret in the environment, read once, and a
 * rotation needed a restart.
 */
async function table(file: string, heading: string): Promise<string> {
  const text = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8');
  const from = text.indexOf(`\n${heading}\n`);
  expect(from, `${file}: ${heading}`).toBeGreaterThan(0);
  const section = text.slice(from + heading.length + 2);
  const next = section.search(/\n#{1,3} /);
  const lines = (next < 0 ? section : section.slice(0, next)).split('\n');
  return lines.filter((line) => line.startsWith('|')).join('\n');
}

describe('the AEP_* variables are documented where the variables are listed', () => {
  it.each([
    ['README.md', '## Configuration'],
    ['docs/configuration.md', '## Environment variables'],
  ])('%s, %s', async (file, heading) => {
    const rows = await table(file, heading);
    const missing = AEP_ENV_VARS.filter((name) => !rows.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
