import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCli } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

// docs/state.md promises that messages name the store "without its user and
// password"; the lock's refusal (STATE_LOCKED), init's lines and `state list` printed the URL's
// user name (`postgres://app_deployer@db:5432/...`): a login name, in CI logs anyone with read
// access to the repository's runs may see. Only host, port, database (and the schema) name it.
const postgres = usePostgres();

/** Every URL in `text` that carries user information (`scheme://user@`). */
function withUserInfo(text: string): string[] {
  return text.match(/[a-z]+:\/\/[^\s/@]+@/gi) ?? [];
}

describe('a PostgreSQL store named in what the CLI prints', () => {
  it('shows no user name: not in init, state list, nor the lock refusal', async () => {
    const role = `deployer_${randomBytes(4).toString('hex')}`;
    const password = `pw${randomBytes(8).toString('hex')}`;
    await postgres.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
    const url = new URL(await postgres.freshLocation({ init: false }));
    url.username = role;
    url.password = password;
    const location = url.href;
    const init = await runCli(['init', '--state-only', '--state', location]);
    expect(init.code, init.stderr).toBe(0);
    const listed = await runCli(['state', 'list', '--state', location]);
    expect(listed.code, listed.stderr).toBe(0);
    const holder = await openStateStore(location);
    try {
      await holder.lock();
      const refused = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--state', location]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('is locked by');
      for (const said of [
        init.stdout,
        init.stderr,
        listed.stdout,
        listed.stderr,
        refused.stdout,
        refused.stderr,
      ]) {
        expect(said).not.toContain(role);
        expect(withUserInfo(said)).toEqual([]);
      }
      // The store is still named: host, port, database and schema.
      expect(refused.stderr).toContain(`//${url.host}${url.pathname}?schema=`);
    } finally {
      await holder.close();
    }
  });
});
