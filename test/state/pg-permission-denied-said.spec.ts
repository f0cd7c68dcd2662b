import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

// A role the DBA set up after docs/state.md ("the others need only SELECT, INSERT, UPDATE,
// DELETE on the schema's tables", no USAGE on the schema), or one whose grant was revoked: each
// command stopped with the server's words only, "permission denied for schema s [42501]" or
// "permission denied for table lock_state [42501]", naming neither the role refused (the store
// is shown without its URL's user) nor what it needs.
const postgres = usePostgres();

describe('a role missing a privilege the store needs', () => {
  it.each([
    [
      'the documented table grants, no USAGE on the schema',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA $S TO $R',
      /permission denied for schema s_\w+/,
    ],
    [
      'UPDATE on lock_state revoked',
      'GRANT USAGE ON SCHEMA $S TO $R; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA $S TO $R; REVOKE UPDATE ON $S.lock_state FROM $R',
      /permission denied for table lock_state/,
    ],
  ])('%s: one line naming the role and what it needs', async (_case, grants, denied) => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    const seeded = await openStateStore(location);
    try {
      await seeded.lock({ command: 'seed' });
      await seeded.put(aRecord('gold'));
    } finally {
      await seeded.close();
    }
    const role = `granted_${randomBytes(4).toString('hex')}`;
    const password = `pw${randomBytes(8).toString('hex')}`;
    await postgres.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await postgres.query(grants.replaceAll('$S', `"${schema}"`).replaceAll('$R', role));
    const url = new URL(location);
    url.username = role;
    url.password = password;
    try {
      const forgot = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--state', url.href], {
        env: NO_AEP_OR_STATE,
      });
      expect(forgot.code).toBe(1);
      const lines = forgot.stderr.trim().split('\n');
      expect(lines, forgot.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(denied);
      expect(lines[0]).not.toContain(password);
      expect(lines[0]).toContain(
        `: user "${role}" needs USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on its tables (init: CREATE on the database) [42501]`,
      );
      const left = await postgres.query<{ key: string }>(`SELECT key FROM "${schema}".audiences`);
      expect(left).toEqual([{ key: 'gold' }]);
    } finally {
      await postgres.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});
