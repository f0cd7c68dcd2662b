import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { migrate } from '../../src/state/pg/migrations.js';

export type PgDatabase = {
  /** postgres://postgres:<password>@127.0.0.1:<port>/<this file's database> */
  readonly url: string;
  /** A fresh schema's URL (`?schema=`), initialised unless `init` is false. */
  freshLocation(options?: { init?: boolean }): Promise<string>;
  /** Runs SQL as the superuser in this file's database. */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
};

/**
 * A database of its own for the calling test file, on the run's one server
 * (test/setup/postgres.ts); each location is a schema in it. Dropped afterwards.
 */
export function usePostgres(): PgDatabase {
  const admin = new URL(inject('pgAdminUrl'));
  const name = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(admin.href);
  url.pathname = `/${name}`;
  let pool: pg.Pool | undefined;
  let count = 0;
  beforeAll(async () => {
    const client = new pg.Client({ connectionString: admin.href });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    // Kept open for the file (no idle timeout): each connection is a server process, whose start
    // costs the server tens of ms of CPU on this machine (fork, page faults).
    pool = new pg.Pool({ connectionString: url.href, max: 3, idleTimeoutMillis: 0 });
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await pool?.end();
    const client = new pg.Client({ connectionString: admin.href });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    if (!pool) throw new Error('usePostgres: the database is not created yet (call from a test)');
    return (await pool.query<R>(text, values)).rows;
  }
  return {
    url: url.href,
    query,
    async freshLocation(options = {}) {
      const schema = `s_${++count}_${randomBytes(3).toString('hex')}`;
      if (options.init ?? true) {
        // Migrated on a connection of the file's pool, as init would on one of its own: the same
        // statements, without a server process started (and ended) for each location.
        if (!pool) throw new Error('usePostgres: the database is not created yet (call from a test)');
        const client = await pool.connect();
        let failed: Error | undefined;
        try {
          await migrate(client, schema);
        } catch (error) {
          failed = error as Error;
          throw error;
        } finally {
          // A connection whose migration failed is dropped, not handed back to the pool.
          client.release(failed);
        }
      }
      return `${url.href}?schema=${schema}`;
    },
  };
}
