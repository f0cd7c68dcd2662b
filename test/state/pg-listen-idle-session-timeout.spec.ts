import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { PushListener, StateStore } from '../../src/state/store.js';
import { eventually } from '../daemon/helpers/controller.js';
import { usePostgres } from '../state/pg.js';

// Review 36d, L-3 (fixed: every session of ours sets idle_session_timeout = 0 where the server
// knows it, connection.ts sessionLimits). Every session of ours gets server-side limits as it opens
// (connection.ts sessionLimits: keepalives, idle_in_transaction_session_timeout), but not
// `idle_session_timeout` (PostgreSQL 14+), which a database or role may set to reap idle
// clients. The push listener's session only ever waits (LISTEN, then nothing): the server ends
// it at each timeout, the controller logs `not listening for pushes of other replicas`, and a
// hint sent in the next 2 s (RELISTEN_MS) is lost, again and again, with the store set up as
// documented. The lock session (a check every 2 s) and the pool (idle clients closed after 10 s)
// are not idle that long; the listener is. Expected: the listener's session opts out
// (SET idle_session_timeout = 0 where the server knows it) and stays.

const postgres = usePostgres();
const open: StateStore[] = [];
const listeners: PushListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  await Promise.all(open.splice(0).map((store) => store.close()));
});

describe(
  'the push listener on a database with idle_session_timeout (review 36d)',
  { timeout: 60_000 },
  () => {
    it('keeps listening', async () => {
      const location = await postgres.freshLocation();
      const database = new URL(postgres.url).pathname.slice(1);
      // What a DBA sets to reap idle clients (here short, so that the test is quick); new sessions get it.
      await postgres.query(`ALTER DATABASE ${database} SET idle_session_timeout = '1s'`);
      const store = await openStateStore(location);
      open.push(store);
      const errors: string[] = [];
      listeners.push(
        store.listenForPushes!(
          () => undefined,
          (error) => errors.push((error as Error).message),
          () => undefined,
        ),
      );
      const listening = async () =>
        (
          await postgres.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'",
          )
        ).map((row) => row.pid);
      const [pid] = await eventually(listening, (pids) => pids.length === 1, 10_000, 'the LISTEN session');
      // Until that session is gone, or has been idle for twice the timeout (a guard, not a deadline).
      await eventually(
        () =>
          postgres.query<{ idle: boolean }>(
            "SELECT now() - state_change > interval '2 s' AS idle FROM pg_stat_activity WHERE pid = $1",
            [pid],
          ),
        (rows) => rows.length === 0 || rows[0]!.idle,
        20_000,
        'the LISTEN session ended or idle for 2 s',
      );
      expect({ alive: (await listening()).includes(pid!), errors }).toEqual({ alive: true, errors: [] });
    });
  },
);
