import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { usePostgres } from '../state/pg.js';

// Review 36d, L-2 (fixed: only a session holding the mark of a write fenced by the recorded
// lock session is ended, takeover.ts blockersOf; keys.ts WRITE_CLASS). The takeover (src/state/pg/takeover.ts) ends every session holding a
// RowShareLock on lock_state once its generation bump waited 1 s: meant for "a write of a
// previous holder, whose lock session is gone" (docs/state.md, "Locking and fencing"); its own
// comment says any other session is "named, never ended". A RowShareLock is also what a person's
// `SELECT ... FOR UPDATE` (or FOR SHARE) takes: an operator in psql who locks the fence row to keep
// writers out while repairing rows by hand has that session, and the repair's transaction with
// it, ended by the next apply that takes the lock, and nothing audiencectl prints says so.
// Expected: a session that is not an audiencectl holder's write is named (STATE_LOCK_BLOCKED),
// not ended.

const postgres = usePostgres();
const open: StateStore[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
});

describe(
  'a takeover finding an operator session locking lock_state (review 36d)',
  { timeout: 60_000 },
  () => {
    it('names the psql session and leaves it alone', async () => {
      const location = await postgres.freshLocation();
      const schema = new URL(location).searchParams.get('schema')!;
      // An operator's psql session: the fence row locked, a hand repair under way in the same transaction.
      const psql = new pg.Client({ connectionString: postgres.url, application_name: 'psql' });
      psql.on('error', () => undefined);
      clients.push(psql);
      await psql.connect();
      const pid = (await psql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await psql.query('BEGIN');
      await psql.query(`SELECT generation FROM "${schema}".lock_state FOR UPDATE`);
      await psql.query(`UPDATE "${schema}".meta SET serial = serial`);

      const store = await openStateStore(location, { queryTimeoutMs: 4_000 });
      open.push(store);
      let message = '';
      const outcome = await store.lock({ command: 'audiencectl apply' }).then(
        () => 'locked',
        (error: unknown) => {
          message = (error as Error).message;
          return `${(error as { code?: string }).code}`;
        },
      );
      const alive = await psql.query<{ one: number }>('SELECT 1 AS one').then(
        (result) => `alive (${result.rows[0]?.one})`,
        (error: unknown) => `ended: ${(error as Error).message}`,
      );
      expect({ outcome, psql: alive }).toEqual({ outcome: 'STATE_LOCK_BLOCKED', psql: 'alive (1)' });
      expect(message).toContain(
        `could not be taken over within 4 s: other sessions, not writes of a previous holder (so not ended), hold locks on lock_state: PostgreSQL session pid ${pid} (application_name "psql", from 127.0.0.1). Let them finish their transactions (COMMIT or ROLLBACK), or end them (SELECT pg_terminate_backend(${pid})); then run again.`,
      );
    });
  },
);
