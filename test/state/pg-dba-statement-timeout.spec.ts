import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { MIGRATION_CLASS, lockKeyOf } from '../../src/state/pg/keys.js';
import { usePostgres } from './pg.js';

// A DBA sets statement_timeout on the database (or the role), as many do to cut
// runaway queries: `ALTER DATABASE app SET statement_timeout = '2s'`. init's migrations wait for
// another init (the replicas of a rolling update start theirs at once) and for the tables' locks,
// with a budget of 5 minutes that is the client's only: the server cuts the wait at the DBA's
// limit, and init fails with the server's words, "canceling statement due to statement timeout
// [57014]", naming neither the setting nor what to do.
const postgres = usePostgres();

describe("init on a database whose statement_timeout (a DBA's) is shorter than init's waits", () => {
  it("waits for another init for its own budget, not the DBA's statement_timeout", async () => {
    const location = await postgres.freshLocation({ init: false });
    const schema = new URL(location).searchParams.get('schema')!;
    const database = new URL(postgres.url).pathname.slice(1);
    const other = new pg.Client({ connectionString: postgres.url });
    other.on('error', () => undefined);
    await other.connect();
    try {
      // Another init, under way: it holds the schema's migration lock in its transaction.
      await other.query('SET statement_timeout = 0');
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1, $2)', [MIGRATION_CLASS, lockKeyOf(schema)]);
      await postgres.query(`ALTER DATABASE ${database} SET statement_timeout = '300ms'`);
      let ended: CliResult | undefined;
      const init = runCli(['init', '--state-only', '--state', location], { env: NO_AEP_OR_STATE }).then(
        (result) => (ended = result),
      );
      // Released once init's wait for it has outlived the DBA's limit several times over, as the
      // server sees it (its own clock on init's waiting statement).
      for (;;) {
        const waited = await postgres.query(
          `SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
            WHERE NOT l.granted AND l.locktype = 'advisory' AND l.objid = $1::bigint::oid
              AND clock_timestamp() - a.query_start > interval '1.5 s'`,
          [lockKeyOf(schema)],
        );
        if (waited.length > 0) break;
        if (ended) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await other.query('COMMIT');
      const result = await init;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/applied migration 1 \(records, meta, lock state\)/);
    } finally {
      await postgres.query(`ALTER DATABASE ${database} RESET statement_timeout`);
      await other.end().catch(() => undefined);
    }
  });
});
