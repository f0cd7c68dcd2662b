import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { usePostgres } from './pg.js';

const postgres = usePostgres();

const NO_AEP = { ...NO_AEP_OR_STATE, PGPASSWORD: undefined, PGPASSFILE: '/dev/null' };

/**
 * review cli-41, finding 3: a DBA gives audiencectl a role of its own that may connect but not
 * create a schema in the database (PostgreSQL's default for a new role). `init` failed with the
 * server's words only; the one line names what to grant (CREATE on the database), or a schema
 * made for the role, and never the password. A schema made for the role was refused too
 * (CREATE SCHEMA IF NOT EXISTS asks CREATE on the database even of one that exists).
 */
describe('init of a PostgreSQL store by a role without CREATE on the database', () => {
  it('says which privilege to grant, on which database, for which role', async () => {
    const role = `r_${randomBytes(4).toString('hex')}`;
    const password = `pw${randomBytes(8).toString('hex')}`;
    const url = new URL(postgres.url);
    const database = url.pathname.slice(1);
    await postgres.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await postgres.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
    url.username = role;
    url.password = password;
    url.searchParams.set('schema', 'audiencectl');

    const result = await runCliInProcess(['init', '--state-only', '--state', url.href], { env: NO_AEP });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain(password);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain(`role "${role}" may not create schema "audiencectl"`);
    expect(result.stderr).toContain(`\`GRANT CREATE ON DATABASE "${database}" TO "${role}"\``);
    const made = `CREATE SCHEMA "audiencectl" AUTHORIZATION "${role}"`;
    expect(result.stderr).toContain(`\`${made}\``);
    expect(await postgres.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'audiencectl'`)).toHaveLength(0);

    // The administrator runs the second way as printed: init, by the same role, then migrates it.
    await postgres.query(made);
    const again = await runCliInProcess(['init', '--state-only', '--state', url.href], { env: NO_AEP });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const versions = await postgres.query<{ version: number }>(
      'SELECT version FROM audiencectl.schema_migrations ORDER BY version',
    );
    expect(versions.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
