import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { MIGRATION_CLASS, lockKeyOf } from '../../src/state/pg/keys.js';
import { runCli } from '../helpers/cli.js';
import { usePostgres } from './pg.js';

// `audiencectl init --state-only` as the chart's initContainer runs it: the built CLI, the
// URL (with its password) in AUDIENCECTL_STATE, no AEP credentials or configuration at all;
// and several of them at once, as the replicas of a fresh install start.
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
    // Named without its user either (docs/state.md).
    url.username = '';
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
      `PostgreSQL state ${bare}: applied migration 5 (meta.revisions: the commit last applied to each sandbox)`,
      `PostgreSQL state ${bare}: applied migration 6 (meta.nonce: a random token written with every serial)`,
      `PostgreSQL state ${bare}: applied migration 7 (audiences.line: the record as validated, beside its body)`,
      '',
    ]);
    const applied = await postgres.query<Migration>(
      `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(applied.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const again = await runCli(['init', '--state-only'], { env: { ...NO_AEP, AUDIENCECTL_STATE: location } });
    expect(again).toEqual({
      code: 0,
      stdout: `PostgreSQL state ${bare} is up to date (schema version 7)\n`,
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
      /^Error: PostgreSQL state postgres:\/\/\S*127\.0\.0\.1:\d+\/\S+: the password of user "postgres" was refused\b[^\n]*\n$/,
    );
    for (const output of [first, again, refused]) {
      expect(output.stdout + output.stderr).not.toContain(password);
    }
  });

  // review 20a, M4: after a rollback to an older image, the initContainer said "is up to date
  // (schema version 99)" and exited 0; every controller pod then crash-looped on the newer schema.
  it('refuses a schema a newer audiencectl left (version 99), naming both versions; applies and changes nothing', async () => {
    const location = await postgres.freshLocation();
    const url = new URL(location);
    const password = decodeURIComponent(url.password);
    url.password = '';
    url.username = '';
    const schema = url.searchParams.get('schema') ?? '';
    await postgres.query(
      `INSERT INTO "${schema}".schema_migrations (version, name) VALUES (99, 'a newer release')`,
    );
    const before = await postgres.query<Migration>(
      `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    );
    const result = await runCli(['init', '--state-only'], {
      env: { ...NO_AEP, AUDIENCECTL_STATE: location },
    });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: the PostgreSQL state ${url.href} is at schema version 99, made by a newer audiencectl (this one knows 7); upgrade audiencectl: init never takes a schema back to an older version\n`,
    });
    expect(result.stderr).not.toContain(password);
    expect(
      await postgres.query<Migration>(
        `SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
      ),
    ).toEqual(before);
  });
});

/** Until a session of this database waits on a lock (the migration lock, or a catalog row). */
async function waitingOnALock(): Promise<void> {
  for (;;) {
    const waiting = await postgres.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((waiting[0]?.count ?? 0) > 0) return;
    await sleep(20);
  }
}

/**
 * Another init, caught under the migration lock after creating the schema (and what `more`
 * adds), not yet committed, while `store.init()` starts: what that init resolves to once the
 * other commits.
 */
async function initBehindAnother(
  more: (other: pg.Client, schema: string) => Promise<void> | void,
): Promise<{ lines: string[] } | { error: string }> {
  const location = await postgres.freshLocation({ init: false });
  const schema = new URL(location).searchParams.get('schema') ?? '';
  const other = new pg.Client({ connectionString: postgres.url });
  await other.connect();
  const store = await openStateStore(location);
  try {
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1, $2)', [MIGRATION_CLASS, lockKeyOf(schema)]);
    await other.query(`CREATE SCHEMA "${schema}"`);
    await more(other, schema);
    const initialising = store.init().then(
      (lines) => ({ lines }),
      (error: Error) => ({ error: error.message }),
    );
    await waitingOnALock();
    await other.query('COMMIT');
    return await initialising;
  } finally {
    await other.end();
    await store.close();
  }
}

describe(
  'inits starting at once on a fresh database (the replicas of a fresh install)',
  { timeout: 90_000 },
  () => {
    it('queue on the migration lock: one waiting while another creates the schema does not fail', async () => {
      let schema = '';
      const outcome = await initBehindAnother((_other, created) => {
        schema = created;
      });
      expect(outcome).toEqual({
        lines: [1, 2, 3, 4, 5, 6, 7].map((version): unknown =>
          expect.stringMatching(new RegExp(`^PostgreSQL state .*: applied migration ${version} \\(`)),
        ),
      });
      const applied = await postgres.query<{ version: number }>(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      expect(applied.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('the one that waited while another applied everything says the schema is up to date, at its version', async () => {
      const outcome = await initBehindAnother(async (other, schema) => {
        await other.query(
          `CREATE TABLE "${schema}".schema_migrations (version integer PRIMARY KEY, name text NOT NULL)`,
        );
        await other.query(
          `INSERT INTO "${schema}".schema_migrations VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g')`,
        );
      });
      expect(outcome).toEqual({ lines: [expect.stringMatching(/ is up to date \(schema version 7\)$/)] });
    });
  },
);
