import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { NO_AEP_OR_STATE } from '../helpers/apply-env.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { migrate } from '../../src/state/pg/migrations.js';
import type { StateError } from '../../src/state/errors.js';
import { usePostgres } from './pg.js';

// A rolling update whose release adds a migration (today: from a schema at 5,
// the release before `meta.nonce`). docs/deploy.md promises that "the pods of the previous
// release keep running while a new pod's initContainer migrates". But the migration's ALTER TABLE
// on `meta` waited, for as long as init's 5-minute budget, behind any session reading `meta` (a
// nightly pg_dump holds an ACCESS SHARE lock on every table for its whole run; a psql session
// left in a transaction), and while it waited in the lock queue every later statement on `meta`
// queued behind it: each write of the running controller (every write moves the serial there),
// and each read, until its 30 s query timeout, then FAILED, "sent but not recorded" (review
// ha-42, M-2). Nothing is timed here: the reader holds its lock until the old release's write
// has answered.
const postgres = usePostgres();

/** A schema as the release before migration 6 left it, with its meta row. */
async function schemaAtFive(): Promise<{ location: string; schema: string }> {
  const location = await postgres.freshLocation();
  const schema = new URL(location).searchParams.get('schema')!;
  await postgres.query(`
    DROP TRIGGER audiences_line ON "${schema}".audiences;
    DROP FUNCTION "${schema}".audiences_line();
    ALTER TABLE "${schema}".audiences DROP COLUMN line, DROP COLUMN line_schema;
    DELETE FROM "${schema}".schema_migrations WHERE version = 7;
    DROP TRIGGER meta_nonce ON "${schema}".meta;
    DROP FUNCTION "${schema}".meta_nonce();
    ALTER TABLE "${schema}".meta DROP COLUMN nonce;
    DELETE FROM "${schema}".schema_migrations WHERE version = 6;
    INSERT INTO "${schema}".meta (lineage, serial) VALUES ('c0ffee00-0000-4000-8000-000000000000', 7);`);
  return { location, schema };
}

async function session(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: postgres.url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('init migrating a schema a long reader of meta holds (a backup), a controller of the previous release writing', () => {
  it("lets the controller's writes through while it waits, and migrates once the reader is done", async () => {
    const { location, schema } = await schemaAtFive();
    const backup = await session();
    const previous = await session();
    try {
      await backup.query(`BEGIN; SELECT count(*) FROM "${schema}".meta`);
      let ended: CliResult | undefined;
      const init = runCliInProcess(['init', '--state-only', '--state', location], {
        env: NO_AEP_OR_STATE,
      }).then((result) => (ended = result));
      // init's ALTER TABLE waits for the reader's lock.
      for (;;) {
        const waiting = await postgres.query(
          `SELECT 1 FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock'
              AND relation = '"${schema}".meta'::regclass`,
        );
        if (waiting.length > 0) break;
        if (ended) throw new Error(`init ended before it waited:\n${ended.stdout}${ended.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The previous release's leader writes a record: its statement moves the serial on meta.
      // (A guard against a hang, far beyond any wait of a write that goes through.)
      await previous.query("SET statement_timeout = '60s'");
      const written = await previous
        .query<{ serial: number }>(
          `INSERT INTO "${schema}".meta (lineage, serial) VALUES ('c0ffee00-0000-4000-8000-000000000000', 1)
           ON CONFLICT (singleton) DO UPDATE SET serial = "${schema}".meta.serial + 1 RETURNING serial::int AS serial`,
        )
        .then(
          (result): number | string | undefined => result.rows[0]?.serial,
          (error: unknown) => `refused: ${String(error)}`,
        );
      expect(written, 'the write of the running controller while init waits').toBe(8);
      await backup.query('COMMIT');
      const result = await init;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/applied migration 6 \(meta\.nonce/);
    } finally {
      await backup.end();
      await previous.end();
    }
  });

  it('gives up once its budget is spent, naming the session that holds the table, having applied nothing', async () => {
    const { location, schema } = await schemaAtFive();
    const backup = await session();
    const init = await session();
    try {
      await backup.query("SET application_name = 'pg_dump'");
      await backup.query(`BEGIN; SELECT count(*) FROM "${schema}".meta`);
      const [{ pid }] = (await backup.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [
        { pid: number },
      ];
      const error = await migrate(init, schema, location, 1_500).then(
        () => undefined,
        (failure: unknown) => failure as StateError,
      );
      expect(error?.code).toBe('STATE_MIGRATION_BLOCKED');
      expect(error?.message).toBe(
        `PostgreSQL state ${location}: migration 6 (meta.nonce: a random token written with every serial) could not lock the tables it changes within 1.5 s, held by PostgreSQL session pid ${pid} (application_name "pg_dump"); nothing of it was applied. Run init again once they are done or end them (SELECT pg_terminate_backend(${pid}))`,
      );
      const versions = await postgres.query<{ version: number }>(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      expect(versions.map((row) => row.version)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await backup.end();
      await init.end();
    }
  });
});
