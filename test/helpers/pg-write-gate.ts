import pg from 'pg';
import type { PgDatabase } from '../state/pg.js';

/** Which write on a location's `audiences` table the gate holds. */
export type GatedWrite = {
  /** The trigger's events. A DELETE's row goes on as OLD, the others' as NEW. */
  on: 'UPDATE' | 'DELETE' | 'INSERT OR UPDATE';
  /** A PL/pgSQL condition on OLD and NEW that picks the write to hold. */
  when: string;
  /** The advisory lock the held write waits on: one per spec file, as files share the server. */
  key: number;
};

export type PgWriteGate = {
  /**
   * Resolves once a backend waits on the gate's own advisory lock (`key`): the picked write, held
   * inside the server, so a kill now lands in it. Not any advisory wait: a store's fenced write
   * waits on its mark while a takeover holds it, and spec files share the server (CI of 85ff2cad
   * took such a wait, the write's own fenced read, for the held write). Resolves with the
   * statements waiting, for the spec to see that what is held is the write it means. Rejects
   * if `exited` settles first (the process ended before its write reached the gate).
   */
  reached(exited: Promise<unknown>): Promise<string[]>;
  /** Lets the held write go (a dead client's transaction rolls back, or commits whole) and drops the trigger. */
  open(): Promise<void>;
};

/**
 * Runs `fn` with a write on the store at `location` (a postgres:// URL with `?schema=`) held
 * inside the server: a trigger on the write takes an advisory lock this process holds. For
 * killing a process in a state write (TESTING.md: interrupt at a request, not at a time).
 */
export async function withPgWriteGate<T>(
  postgres: PgDatabase,
  location: string,
  write: GatedWrite,
  fn: (gate: PgWriteGate) => Promise<T>,
): Promise<T> {
  const schema = new URL(location).searchParams.get('schema')!;
  const row = write.on === 'DELETE' ? 'OLD' : 'NEW';
  await postgres.query(`
    CREATE FUNCTION "${schema}".gate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${write.when} THEN
        PERFORM pg_advisory_xact_lock(${write.key});
      END IF;
      RETURN ${row};
    END $$;
    CREATE TRIGGER gate BEFORE ${write.on} ON "${schema}".audiences
      FOR EACH ROW EXECUTE FUNCTION "${schema}".gate();`);
  const gate = new pg.Client({ connectionString: postgres.url });
  await gate.connect();
  try {
    await gate.query('SELECT pg_advisory_lock($1)', [write.key]);
    const gatePid = (await gate.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    return await fn({
      async reached(exited) {
        let ended: { how: unknown } | undefined;
        void exited.then(
          (how: unknown) => (ended = { how }),
          (how: unknown) => (ended = { how }),
        );
        for (;;) {
          if (ended)
            throw new Error(
              `the process ended before its write reached the gate: ${JSON.stringify(ended.how)}`,
            );
          // pg_advisory_lock(bigint) is kept as classid (its high 32 bits), objid (low), objsubid 1.
          const waiting = await postgres.query<{ query: string }>(
            `SELECT a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE NOT l.granted AND l.locktype = 'advisory' AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND (l.classid::bigint << 32 | l.objid::bigint) = $1::bigint AND l.pid <> $2`,
            [write.key, gatePid],
          );
          if (waiting.length > 0) return waiting.map((one) => one.query);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      },
      async open() {
        await gate.query('SELECT pg_advisory_unlock($1)', [write.key]);
        await postgres.query(`DROP TRIGGER gate ON "${schema}".audiences`);
      },
    });
  } finally {
    await gate.end();
  }
}
