import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

// Every refusal of SQLSTATE 28000 (invalid_authorization_specification) is said as
// `the server refused user "x" [28000]`, the server's reason dropped. 28000 is the server's
// answer for several different things, each fixed by someone else: a role that may not log in
// (NOLOGIN: the DBA's ALTER ROLE ... LOGIN), no pg_hba.conf line for this host, user, database
// and encryption (the DBA's pg_hba.conf, or the URL's sslmode), a pg_hba.conf `reject`. The
// user, told only "refused", cannot tell a wrong password from a missing grant from a TLS setting.
const postgres = usePostgres();

describe("the server refusing the state URL's role (SQLSTATE 28000)", () => {
  it('says why the server refused it, not only that it did', async () => {
    const location = await postgres.freshLocation();
    const role = `nologin_${randomBytes(4).toString('hex')}`;
    const password = `pw${randomBytes(8).toString('hex')}`;
    await postgres.query(`CREATE ROLE ${role} NOLOGIN PASSWORD '${password}'`);
    const url = new URL(location);
    url.username = role;
    url.password = password;
    const listed = await runCli(['state', 'list', '--state', url.href], { env: NO_AEP_OR_STATE });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr.trim().split('\n')).toHaveLength(1);
    expect(listed.stderr).toContain(`user "${role}"`);
    expect(listed.stderr).toMatch(/not permitted to log in/);
    expect(listed.stderr).not.toContain(password);
  });
});
