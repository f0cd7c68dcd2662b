import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { CLI, runCli } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { lockKeyOf } from '../../src/state/pg/keys.js';
import { usePostgres } from './pg.js';

// Review 35c, M-1. A holder whose machine vanishes (a lost node, a network partition) while one of
// its record writes is open on the server: the lock's own connection carries server-side TCP
// keepalives (session.ts sets tcp_keepalives_* on it), so the server ends that session, and
// frees the lock, ~11 s later; the pool connection carrying the write has none (connection.ts
// sets only client-side keepalives; the server's default is the OS's, about 2 h), so its
// transaction stays open, holding the FOR SHARE on lock_state that the fence took. The next
// holder's generation bump waits behind it: `apply` (and a standby replica) cannot take over,
// and fails after the query timeout saying the server is not responding.
//
// Simulated exactly where it matters: apply A's create-intent write is held inside the server
// (an advisory lock its trigger waits on), A is frozen (SIGSTOP: nothing more is sent, as after
// a partition), the write's statement then completes (the transaction open, COMMIT never sent),
// and A's lock session is ended as the server ends it once its keepalives find it silent.
//
// Now every session of ours gets the server's keepalives and an idle-in-transaction limit, and
// the next holder, which holds the store lock, ends such a write (pg_terminate_backend) when
// its bump has waited on it; a bump that gives up (here: a role that may not end another's
// sessions) leaves no statement queued on the server, and says what it waits for.
const postgres = usePostgres();
const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

const GATE = 35_353;

/**
 * Apply A, its create-intent write of gold open on the server (the fence's share lock on
 * lock_state taken, COMMIT never sent), A frozen, and A's lock session ended as the server
 * ends it once its keepalives find it silent. Then `then` runs, with the manifests' directory.
 */
async function withLostHolder(
  then: (url: string, dir: string, emulator: TestEmulator) => Promise<void>,
): Promise<void> {
  const url = await postgres.freshLocation();
  const schema = new URL(url).searchParams.get('schema')!;
  // Holds the create intent's write of gold inside the server until the gate opens.
  await postgres.query(`
    CREATE FUNCTION "${schema}".gate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.body->'intent'->>'kind' = 'create' THEN PERFORM pg_advisory_xact_lock(${GATE}); END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER gate BEFORE INSERT OR UPDATE ON "${schema}".audiences
      FOR EACH ROW EXECUTE FUNCTION "${schema}".gate();`);
  const gate = new pg.Client({ connectionString: postgres.url });
  await gate.connect();
  await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
  const gatePid = (await gate.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await withEmulator({}, async (emulator) => {
    const root = await mkdtemp(path.join(tmpdir(), 'review-35c-'));
    made.push(root);
    const dir = new ManifestDir(path.join(root, 'm'));
    await dir.write([manifestObject('gold', { ingestion: { onCreate: false } })]);
    const env = { ...process.env, ...emulatorEnv(emulator), NO_COLOR: '1' };
    const a = spawn(process.execPath, [CLI, 'apply', dir.dir, '--state', url, '--auto-approve'], {
      env,
      stdio: 'ignore',
    });
    const aExited = new Promise<void>((resolve) => a.once('exit', () => resolve()));
    try {
      // A's write waits at the gate: its transaction holds the fence's share lock on lock_state.
      let writer: number | undefined;
      while (writer === undefined) {
        const rows = await postgres.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
             AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> $1`,
          [gatePid],
        );
        writer = rows[0]?.pid;
        if (writer === undefined) await sleep(10);
      }
      // A is frozen: it sends nothing more (no COMMIT), as after a partition.
      a.kill('SIGSTOP');
      await gate.query('SELECT pg_advisory_unlock($1)', [GATE]);
      let state = '';
      while (state !== 'idle in transaction') {
        const rows = await postgres.query<{ state: string }>(
          'SELECT state FROM pg_stat_activity WHERE pid = $1',
          [writer],
        );
        state = rows[0]?.state ?? '';
        if (state !== 'idle in transaction') await sleep(10);
      }
      // Premise: nothing was sent to AEP; the intent's write is open, not committed.
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
      // The server ends the lock session (its keepalives found it silent): the lock is free.
      await postgres.query(`SELECT pg_terminate_backend(backend_pid, 60000) FROM "${schema}".lock_state`);
      await then(url, dir.dir, emulator);
    } finally {
      a.kill('SIGKILL');
      await aExited;
      await gate.end();
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(
  'a holder lost in the middle of a record write (its lock session ended by the server)',
  { timeout: 120_000 },
  () => {
    it('does not keep the next apply from taking the lock: it creates gold', async () => {
      await withLostHolder(async (url, dir, emulator) => {
        const b = await runCli(
          ['apply', dir, '--state', url, '--auto-approve', '--state-query-timeout', '5s'],
          {
            env: emulatorEnv(emulator),
          },
        );
        expect(b.stderr.split('\n').filter((line) => line.startsWith('Error:'))).toEqual([]);
        // The ended session is said (review 36d, L-2): the write's pid, from this host.
        expect(b.stderr).toMatch(
          /^Ended PostgreSQL session pid \d+ \(application_name "audiencectl", from 127\.0\.0\.1\): a write of a previous holder of the state lock, whose lock session is gone, was still open; the server rolled it back\.$/m,
        );
        expect(b.code).toBe(0);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((x) => x.audienceName)).toEqual([
          'Audience gold',
        ]);
      });
    });

    it('a takeover that gave up (its process exited) does not leave the store locked by a statement of its own', async () => {
      await withLostHolder(async (location, dir, emulator) => {
        // The takers run as a role that may not end the lost holder's sessions: they give up.
        const schema = new URL(location).searchParams.get('schema')!;
        const role = `r_${randomBytes(4).toString('hex')}`;
        await postgres.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}';
          GRANT USAGE ON SCHEMA "${schema}" TO ${role};
          GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
        const taker = new URL(location);
        taker.username = role;
        taker.password = role;
        const url = taker.href;
        try {
          const first = await runCli(
            ['apply', dir, '--state', url, '--auto-approve', '--state-query-timeout', '2s'],
            {
              env: emulatorEnv(emulator),
            },
          );
          expect(first.code).toBe(1);
          expect(first.stderr).toContain(
            'could not be taken over within 2 s: a write of a previous holder, whose lock session is gone, is still open on the server: PostgreSQL session pid ',
          );
          expect(first.stderr).not.toContain('not responding');
          // The first attempt has exited: its connection, and the lock it took, should be gone with it.
          const second = await runCli(
            ['apply', dir, '--state', url, '--auto-approve', '--state-query-timeout', '2s'],
            {
              env: emulatorEnv(emulator),
            },
          );
          expect(second.stderr).not.toContain('is locked by an unknown process');
          const waiting = await postgres.query<{ query: string }>(
            `SELECT left(query, 31) AS query FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND query LIKE 'UPDATE %lock_state%'`,
          );
          expect(waiting).toEqual([]);
        } finally {
          await postgres.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
        }
      });
    });

    it('a session holding the lock that recorded no holder is named as one, not as a lock file', async () => {
      const url = await postgres.freshLocation();
      const schema = new URL(url).searchParams.get('schema')!;
      const other = new pg.Client({ connectionString: postgres.url });
      await other.connect();
      try {
        // The lock as audiencectl takes it (class 'audc', the schema's key), no holder recorded.
        await other.query('SELECT pg_advisory_lock($1, $2)', [0x61756463, lockKeyOf(schema)]);
        const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        const forget = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--state', url]);
        expect(forget.code).toBe(1);
        expect(forget.stderr).not.toContain('lock file');
        expect(forget.stderr).toContain(
          `is locked by PostgreSQL session pid ${pid} (from 127.0.0.1), which recorded no holder.`,
        );
        expect(forget.stderr).toContain(
          `If no audiencectl is taking it, end that session (SELECT pg_terminate_backend(${pid})).`,
        );
      } finally {
        await other.end();
      }
    });
  },
);
