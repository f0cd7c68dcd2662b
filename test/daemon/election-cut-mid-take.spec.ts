import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import { countedLocks } from '../helpers/counted-locks.js';
import { usePostgres } from '../state/pg.js';

// A standby being elected (the lock just taken, the store's meta being read)
// whose lock session ends then (a server restart or failover, a DBA ending the application's
// sessions) was never elected again: the store gave up its connections for good when the lock
// was lost (as a deposed leader's does), and every later try of the lock failed at once with that
// loss, without asking the server. The replica stayed up as a standby for ever, its /status
// saying STATE_LOCK_LOST, and when the leader went no one took over (review ha-42, M-3). The cut is placed without
// a clock: the test holds the meta table while the candidate reads it, ends its lock session,
// then lets the table go.
const postgres = usePostgres();

describe('a replica whose lock session ends while it is being elected', () => {
  it('tries again and is elected once the lock is free', async () => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    const table = new pg.Client({ connectionString: postgres.url });
    table.on('error', () => undefined);
    await table.connect();
    const store = await openStateStore(location);
    // The tries of the lock, counted: the store as the election sees it.
    const { store: counted, tries } = countedLocks(store);
    let elected = false;
    const leadership = new Leadership({
      store: counted,
      logger: silentLogger(),
      pollMs: 20,
      onElected: () => (elected = true),
      onDeposed: () => undefined,
    });
    try {
      // The candidate reads meta once it holds the lock: that read waits for the test.
      await table.query(`BEGIN; LOCK TABLE "${schema}".meta IN ACCESS EXCLUSIVE MODE`);
      leadership.start();
      for (;;) {
        const waiting = await postgres.query(
          `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = '"${schema}".meta'::regclass`,
        );
        if (waiting.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // It holds the lock (the meta read comes after the generation bump): its session is ended.
      const [ended] = await postgres.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(backend_pid, 60000) AS ok FROM "${schema}".lock_state`,
      );
      expect(ended?.ok, 'the candidate held the lock').toBe(true);
      await table.query('COMMIT');
      // Nobody else holds the lock: the next try takes it. Five more are given.
      const cut = tries();
      while (!elected && tries() < cut + 5) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(
        { elected, role: leadership.role, lastError: leadership.lastError },
        'elected once the lock was free',
      ).toEqual({ elected: true, role: 'leader', lastError: null });
    } finally {
      await table.end();
      await leadership.stop();
      await store.close();
    }
  });
});
