import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { countedLocks } from '../helpers/counted-locks.js';
import { usePostgres } from './pg.js';

// A standby tries the lock every second on a new PostgreSQL session (connect,
// authentication, its limits, the try, the holder's read, goodbye): 86,400 sessions a day per
// standby, each a server process forked and a SCRAM exchange, and two lines in a server that logs
// connections (log_connections, log_disconnections: common for audit). Sessions are counted by
// the server itself: a login event trigger notes each one of the standby's role.
const postgres = usePostgres();

/** A role of its own for the standby (its sessions told apart from the holder's), and its URL. */
async function standbyRole(location: string): Promise<{ role: string; url: string }> {
  const role = `standby_${randomBytes(4).toString('hex')}`;
  const password = `pw${randomBytes(8).toString('hex')}`;
  await postgres.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
  const url = new URL(location);
  url.username = role;
  url.password = password;
  return { role, url: url.href };
}

/**
 * A controller replica's election on `store`, not started, its tries of the lock counted (the
 * store as the election sees it); `triesAfter(n)` resolves once it has tried `n` more times.
 */
function countedStandby(store: StateStore) {
  const { store: counted, tries } = countedLocks(store);
  const leadership = new Leadership({
    store: counted,
    logger: silentLogger(),
    pollMs: 20,
    onElected: () => undefined,
    onDeposed: () => undefined,
  });
  return {
    leadership,
    tries,
    triesAfter: async (more: number): Promise<void> => {
      const until = tries() + more;
      while (tries() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

describe('a standby trying the lock held by another', () => {
  it('keeps its sessions across its tries instead of opening one per try', async () => {
    const location = await postgres.freshLocation();
    const { role, url } = await standbyRole(location);
    // The read-only check (pg_is_in_recovery()) counted: the role finds public's before pg_catalog's.
    await postgres.query(`ALTER ROLE ${role} SET search_path = public, pg_catalog`);
    await postgres.query(`
      CREATE TABLE IF NOT EXISTS public.recovery_checks (who text NOT NULL);
      CREATE OR REPLACE FUNCTION public.pg_is_in_recovery() RETURNS boolean LANGUAGE sql VOLATILE
        AS $$ INSERT INTO public.recovery_checks VALUES (session_user) RETURNING false $$;`);
    await postgres.query(`
      CREATE TABLE IF NOT EXISTS public.logins (who text NOT NULL);
      CREATE OR REPLACE FUNCTION public.note_login() RETURNS event_trigger LANGUAGE plpgsql
        SECURITY DEFINER AS $$ BEGIN INSERT INTO public.logins VALUES (session_user); END $$;
      CREATE EVENT TRIGGER note_login ON login EXECUTE FUNCTION public.note_login();`);
    const holder = await openStateStore(location);
    const store = await openStateStore(url);
    const { leadership, tries, triesAfter } = countedStandby(store);
    try {
      await holder.lock();
      leadership.start();
      await triesAfter(12);
      await leadership.stop();
      expect(leadership.role).toBe('standby');
      const [sessions] = await postgres.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM public.logins WHERE who = $1',
        [role],
      );
      // One for its reads (the pool's), one for its tries of the lock: not one per try.
      expect(sessions?.n, `sessions the standby opened for ${tries()} tries`).toBeLessThanOrEqual(2);
      const [checks] = await postgres.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM public.recovery_checks WHERE who = $1',
        [role],
      );
      // Once per session of its tries, not once per try.
      expect(checks?.n, `read-only checks for ${tries()} tries`).toBe(1);
    } finally {
      await postgres.query('DROP EVENT TRIGGER IF EXISTS note_login');
      await postgres.query('DROP FUNCTION IF EXISTS public.pg_is_in_recovery()');
      await leadership.stop();
      await store.close();
      await holder.close();
    }
  });

  it('opens a new session once its kept one is lost, and leads when the holder goes', async () => {
    const location = await postgres.freshLocation();
    const { role, url } = await standbyRole(location);
    const holder = await openStateStore(location);
    const store = await openStateStore(url);
    const { leadership, triesAfter } = countedStandby(store);
    try {
      await holder.lock();
      leadership.start();
      await triesAfter(3);
      // The kept session ended by the server (a DBA's pg_terminate_backend, a pooler's reset): the
      // one whose last statement was a try, or the holder's read after it (the pool's read neither).
      const ended = await postgres.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE usename = $1 AND (query LIKE '%pg_try_advisory_lock%' OR query LIKE '%lock_state%')`,
        [role],
      );
      expect(ended.map((row) => row.ok)).toEqual([true]);
      await triesAfter(3);
      expect(leadership.role).toBe('standby');
      await holder.close();
      while (leadership.role !== 'leader') await new Promise((resolve) => setTimeout(resolve, 20));
      expect(leadership.role).toBe('leader');
      // Its lock is held by a live session of its own: the server names it.
      const held = await postgres.query<{ who: string }>(
        `SELECT a.usename AS who FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND a.usename = $1`,
        [role],
      );
      expect(held).toEqual([{ who: role }]);
    } finally {
      await leadership.stop();
      await store.close();
      await holder.close();
    }
  });
});
