import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

/**
 * A password may be given in a PostgreSQL URL two ways: `postgres://user:PW@host/db` and
 * `postgres://user@host/db?password=PW` (libpq's, which node-postgres reads too). Neither may
 * reach a message. Pass 51 (store.md) found the second shown as `?password=***&schema=…`:
 * not the password, but noise in every message naming the store, and unlike the first form,
 * whose password is left out. Both are now named alike: host, port, database, schema.
 */
const postgres = usePostgres();

/** The state commands' messages that name the store, run with `location`. */
async function said(location: string): Promise<CliResult[]> {
  const state = ['--state', location];
  return [
    await runCli(['state', 'list', ...state]),
    await runCli(['state', 'show', 'nope', '--sandbox', 'prod', ...state]),
    await runCli(['state', 'forget', 'nope', '--sandbox', 'prod', ...state]),
    await runCli(['state', 'settle-run', 'nope', '--sandbox', 'prod', ...state]),
  ];
}

describe('a PostgreSQL URL carrying its password', () => {
  it('names the store without it, whether in the user info or as ?password=', async () => {
    const inUserInfo = new URL(await postgres.freshLocation());
    const password = decodeURIComponent(inUserInfo.password);
    const schema = inUserInfo.searchParams.get('schema') ?? '';
    const base = `postgres://${inUserInfo.username}@${inUserInfo.host}${inUserInfo.pathname}`;
    const asParameter = `${base}?password=${encodeURIComponent(password)}&schema=${schema}`;
    const display = `postgres://${inUserInfo.host}${inUserInfo.pathname}?schema=${schema}`;

    const first = await said(inUserInfo.href);
    const second = await said(asParameter);
    expect(first[0]?.code, first[0]?.stderr).toBe(0);
    expect(first[1]?.stderr).toBe(`Error: no record for prod/nope in ${display}\n`);
    for (const result of [...first, ...second]) {
      expect(result.stdout + result.stderr).not.toContain(password);
      expect(result.stdout + result.stderr).not.toContain('***');
      expect(result.stdout + result.stderr).not.toContain('password=');
    }
    // Both forms say the same, word for word.
    expect(second).toEqual(first);
  });

  it('state show refuses a key no record can have before connecting, as other stores do', async () => {
    const location = new URL(postgres.url);
    location.pathname = '/no_such_database';
    location.searchParams.set('schema', 'audiencectl');
    const shown = await runCli(['state', 'show', '../etc', '--sandbox', 'prod', '--state', location.href]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toBe(
      `Error: invalid audience key "../etc": use the manifest's metadata.name (lowercase letters, digits and "-", at most 63)\n`,
    );
  });
});
