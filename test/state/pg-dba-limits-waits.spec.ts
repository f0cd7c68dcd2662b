import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

// A DBA limits the application's role, as many do to cut runaway queries or stuck lock waits:
// `ALTER ROLE app SET statement_timeout = '1s'` (or lock_timeout, or PostgreSQL 17's
// transaction_timeout). audiencectl's own waits have budgets of their own (the query timeout,
// 30 s by default): a takeover's generation bump waits for the sessions holding lock_state, and
// a fenced write for a record a person locked in psql to repair it by hand. The server cut them
// at the DBA's limit, and the command failed with the server's words only ("canceling statement
// due to statement timeout [57014]"), though the person committed a second later.
const postgres = usePostgres();

/** The role's settings a DBA may give: each cut our waits before. */
const LIMITS = ['statement_timeout', 'lock_timeout', 'transaction_timeout'];

/** A role limited by `setting`, with what a store's commands need; its URL for `location`. */
async function limitedRole(location: string, setting: string): Promise<{ url: string; role: string }> {
  const schema = new URL(location).searchParams.get('schema')!;
  const role = `dba_${randomBytes(4).toString('hex')}`;
  await postgres.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}';
    GRANT USAGE ON SCHEMA "${schema}" TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role};
    ALTER ROLE ${role} SET ${setting} = '300ms'`);
  const url = new URL(location);
  url.username = role;
  url.password = role;
  return { url: url.href, role };
}

/**
 * Runs `state forget gold` as `role` while `person` holds a lock it waits for, and commits
 * `person`'s transaction once the command's statement matching `waiting` has waited on a lock
 * for 1.5 s as the server sees it (five times the role's limit), or once the command ended.
 */
async function forgetBehind(
  person: pg.Client,
  role: string,
  url: string,
  waiting: string,
): Promise<CliResult> {
  let ended: CliResult | undefined;
  const forget = runCli(
    ['state', 'forget', 'gold', '--sandbox', 'prod', '--state', url, '--state-query-timeout', '60s'],
    { env: NO_AEP_OR_STATE },
  ).then((result) => (ended = result));
  // The first moment, on the server's clock, the command's statement was seen waiting on a lock.
  let since: string | undefined;
  for (;;) {
    if (ended) break;
    const rows = await postgres.query<{ now: string; waited: boolean | null }>(
      `SELECT clock_timestamp()::text AS now, (
         SELECT true FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock' AND query LIKE $2
         LIMIT 1) AS waited`,
      [role, waiting],
    );
    const row = rows[0]!;
    if (since === undefined && row.waited) since = row.now;
    if (since !== undefined) {
      const long = await postgres.query<{ long: boolean }>(
        "SELECT clock_timestamp() - $1::timestamptz > interval '1.5 s' AS long",
        [since],
      );
      if (long[0]!.long) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await person.query('COMMIT');
  return forget;
}

async function withPerson(use: (person: pg.Client) => Promise<void>): Promise<void> {
  const person = new pg.Client({ connectionString: postgres.url, application_name: 'psql' });
  person.on('error', () => undefined);
  await person.connect();
  try {
    await use(person);
  } finally {
    await person.end().catch(() => undefined);
  }
}

async function seedGold(location: string): Promise<void> {
  const store = await openStateStore(location);
  try {
    await store.lock({ command: 'seed' });
    await store.put(aRecord('gold'));
  } finally {
    await store.close();
  }
}

// Each case waits 1.5 s or more on the server's clock for a lock of its own schema and role,
// spending almost no CPU: the cases run at once (describe.concurrent), not one after another.
describe.concurrent.each(LIMITS)(
  "a role whose %s (a DBA's) is shorter than audiencectl's waits",
  (setting) => {
    it.each<[string, (schema: string) => string, string]>([
      // A person keeps writers out while repairing rows by hand (docs/state.md, Locking and fencing).
      [
        'a takeover waits for a person holding lock_state for its own budget, then takes the lock',
        (schema) => `SELECT 1 FROM "${schema}".lock_state FOR UPDATE`,
        'UPDATE%lock_state%',
      ],
      [
        "a write waits for a person's lock on its record for its own budget, then writes",
        (schema) => `SELECT 1 FROM "${schema}".audiences WHERE key = 'gold' FOR UPDATE`,
        'WITH fence%',
      ],
    ])('%s', async (_, held, waiting) => {
      const location = await postgres.freshLocation();
      const schema = new URL(location).searchParams.get('schema')!;
      await seedGold(location);
      const { url, role } = await limitedRole(location, setting);
      try {
        await withPerson(async (person) => {
          await person.query('BEGIN');
          await person.query(held(schema));
          const result = await forgetBehind(person, role, url, waiting);
          expect(result.stderr).toBe('');
          expect(result.code).toBe(0);
        });
        const left = await postgres.query(`SELECT key FROM "${schema}".audiences`);
        expect(left).toEqual([]);
      } finally {
        await postgres.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });
  },
);

describe.concurrent(
  "a wait that outlasts audiencectl's own query timeout, on a role with a DBA's statement_timeout",
  () => {
    it('stops with one line naming the timeout and the flag that raises it, and writes nothing', async () => {
      const location = await postgres.freshLocation();
      const schema = new URL(location).searchParams.get('schema')!;
      await seedGold(location);
      const { url, role } = await limitedRole(location, 'statement_timeout');
      try {
        await withPerson(async (person) => {
          await person.query('BEGIN');
          await person.query(`SELECT 1 FROM "${schema}".audiences WHERE key = 'gold' FOR UPDATE`);
          const result = await runCli(
            ['state', 'forget', 'gold', '--sandbox', 'prod', '--state', url, '--state-query-timeout', '2s'],
            { env: NO_AEP_OR_STATE },
          );
          await person.query('ROLLBACK');
          expect(result.code).toBe(1);
          const lines = result.stderr.trim().split('\n');
          expect(lines, result.stderr).toHaveLength(1);
          // The client's timer or the server's statement_timeout (ours, the same 2 s), whichever is first.
          expect(lines[0]).toMatch(
            /^Error: PostgreSQL state postgres:\/\/\S+: (no answer from the server within 2 s|the server cancelled a statement at its statement_timeout: .*\(2 s,)/,
          );
          expect(lines[0]).toContain(
            '--state-query-timeout or AUDIENCECTL_STATE_QUERY_TIMEOUT raises the limit',
          );
          expect(lines[0]).not.toContain(role);
        });
        const left = await postgres.query<{ key: string }>(`SELECT key FROM "${schema}".audiences`);
        expect(left).toEqual([{ key: 'gold' }]);
      } finally {
        await postgres.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });
  },
);
