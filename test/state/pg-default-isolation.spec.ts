import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord, useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// A DBA sets the database's (or the role's) default isolation to repeatable
// read or serializable (`ALTER DATABASE ... SET default_transaction_isolation`), as some teams do
// for every application. Each write of ours moves the serial on the one `meta` row: two writes
// at once (an apply's parallel steps, a controller's pass), the second was refused with 40001
// "could not serialize access due to concurrent update", and the step FAILED, a call sent
// and not recorded (review ha-42, M-1). The writes are made to overlap without a clock: a session of the test holds
// the `meta` row until both wait for it (each then has its snapshot), and lets it go.
const postgres = usePostgres();
const tempDir = useTempDirs();

/**
 * The sessions of `holder`'s database waiting for a lock: the first write waits for `holder`,
 * the second for the first (the row's lock queue).
 */
async function waitingFor(holder: number): Promise<number> {
  const [row] = await postgres.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE pid <> $1 AND datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0`,
    [holder],
  );
  return row?.n ?? 0;
}

/** A session of the test holding `schema`'s meta row (FOR UPDATE, in an open transaction). */
async function holdMeta(schema: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: postgres.url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query(`BEGIN; SELECT 1 FROM "${schema}".meta FOR UPDATE`);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  let released = false;
  return {
    pid: rows[0]!.pid,
    release: async () => {
      if (released) return;
      released = true;
      await client.query('COMMIT');
      await client.end();
    },
  };
}

describe('a PostgreSQL state whose database defaults to repeatable read', () => {
  it('takes two writes at once, as read committed does: both land', async () => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    const database = new URL(postgres.url).pathname.slice(1);
    await postgres.query(`ALTER DATABASE ${database} SET default_transaction_isolation = 'repeatable read'`);
    const store = await openStateStore(location);
    try {
      await store.lock();
      await store.put(aRecord('first'));
      const held = await holdMeta(schema);
      const writes = Promise.allSettled([store.put(aRecord('gold')), store.put(aRecord('silver'))]);
      while ((await waitingFor(held.pid)) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      await held.release();
      const outcomes = await writes;
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'written'))).toEqual([
        'written',
        'written',
      ]);
      expect((await store.list()).map(([, key]) => key)).toEqual(['first', 'gold', 'silver']);
    } finally {
      await store.close();
      await postgres.query(`ALTER DATABASE ${database} RESET default_transaction_isolation`);
    }
  });

  it('an apply of two audiences whose intents are written at once: both created and recorded, exit 0', async () => {
    await withEmulator({}, async (emulator) => {
      const location = await postgres.freshLocation();
      const schema = new URL(location).searchParams.get('schema')!;
      const database = new URL(postgres.url).pathname.slice(1);
      const dir = new ManifestDir(path.join(await tempDir(), 'm'));
      await dir.write([manifestObject('gold'), manifestObject('silver')]);
      // The meta row exists (a store written before, its record since removed): its row is what
      // both writes wait for.
      const seed = await openStateStore(location);
      try {
        await seed.lock();
        await seed.put(aRecord('first'));
        await seed.delete('prod', 'first');
      } finally {
        await seed.close();
      }
      await postgres.query(
        `ALTER DATABASE ${database} SET default_transaction_isolation = 'repeatable read'`,
      );
      const held = await holdMeta(schema);
      try {
        let ended: CliResult | undefined;
        const applying = runCliInProcess(['apply', dir.dir, '--state', location, '--auto-approve'], {
          env: emulatorEnv(emulator),
        }).then((result) => (ended = result));
        while ((await waitingFor(held.pid)) < 2) {
          if (ended)
            throw new Error(`the apply ended before two writes waited:\n${ended.stdout}${ended.stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await held.release();
        const result = await applying;
        expect(result.stdout).not.toMatch(/^FAILED/m);
        expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(2);
        const store = await openStateStore(location);
        try {
          for (const key of ['gold', 'silver'])
            expect((await store.get('prod', key))?.audienceId, key).toBeDefined();
        } finally {
          await store.close();
        }
      } finally {
        await held.release();
        await postgres.query(`ALTER DATABASE ${database} RESET default_transaction_isolation`);
      }
    });
  });
});
