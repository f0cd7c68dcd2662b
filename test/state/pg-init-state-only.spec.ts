import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

// `audiencectl init --state-only` as the chart's initContainer runs it: the built CLI, the
// URL (with its password) in AUDIENCECTL_STATE, no AEP credentials or configuration at all.
const postgres = usePostgres();

/** What a pod without AEP settings has: none of the variables that name credentials. */
const NO_AEP = {
  AEP_CLIENT_ID: undefined,
  AEP_CLIENT_SECRET: undefined,
  AEP_ORG_ID: undefined,
  AEP_SCOPES: undefined,
  AEP_IMS_URL: undefined,
  AEP_BASE_URL: undefined,
  AUDIENCECTL_CONFIG: undefined,
  PGPASSWORD: undefined,
  PGPASSFILE: '/dev/null',
};

type Migration = { version: number; applied_at: Date };

describe('audiencectl init --state-only (a deployment init step)', { timeout: 90_000 }, () => {
  it('creates a fresh schema without credentials, is a no-op the second time, and never prints the password', async () => {
    const location = await postgres.freshLocation({ init: false });
    const url = new URL(location);
    const password = decodeURIComponent(url.password);
    expect(password.length).toBeGreaterThan(8);
    url.password = '';
    const bare = url.href;
    const schema = url.searchParams.get('schema') ?? '';

    const first = await runCli(['init'], {
      env: { ...NO_AEP, AUDIENCECTL_STATE: location, AUDIENCECTL_INIT_STATE_ONLY: 'true' },
    });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')).toEqual([
      `PostgreSQL state ${bare}: applied migration 1 (records, meta, lock state)`,
      `PostgreSQL state ${bare}: applied migration 2 (compat: readings of the API page learned per base URL)`,
      `PostgreSQL state ${bare}: applied migration 3 (manifest_cache: the manifest cache of each source directory)`,
      `PostgreSQL state ${bare}: applied migration 4 (meta.orgs: the IMS org of each sandbox)`,
      '',
    ]);
    const applied = await postgres.query<Migration>(
      `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(applied.map((row) => row.version)).toEqual([1, 2, 3, 4]);

    const again = await runCli(['init', '--state-only'], { env: { ...NO_AEP, AUDIENCECTL_STATE: location } });
    expect(again).toEqual({
      code: 0,
      stdout: `PostgreSQL state ${bare} is up to date (schema version 4)\n`,
      stderr: '',
    });
    expect(
      await postgres.query<Migration>(
        `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
      ),
    ).toEqual(applied);

    // What the initContainer's log shows when init fails: one line, the URL without its password.
    const wrong = new URL(location);
    wrong.password = `${password}-refused`;
    const refused = await runCli(['init'], {
      env: { ...NO_AEP, AUDIENCECTL_STATE: wrong.href, AUDIENCECTL_INIT_STATE_ONLY: '1' },
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^Error: PostgreSQL state postgres:\/\/\S*127\.0\.0\.1:\d+\/\S+: the password was refused\b[^\n]*\n$/,
    );
    for (const output of [first, again, refused]) {
      expect(output.stdout + output.stderr).not.toContain(password);
    }
  });
});
