import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, type TestContext } from 'vitest';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateError } from '../../src/state/errors.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { startBlackHoleProxy, type BlackHoleProxy } from '../helpers/black-hole-proxy.js';
import { runCli } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord, useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// A network that silently drops packets (no RST, no FIN) between audiencectl and its
// PostgreSQL state: every wait ends in a typed one-line error in bounded time, and the
// lock holder notices it lost its lock. The black hole is a proxy between the two; a
// test that hangs is caught by vitest's own timeout, never by a clock in the assertions.
const postgres = usePostgres();
const tempDir = useTempDirs();
const password = decodeURIComponent(new URL(postgres.url).password);

/** A fresh store's URL, through a black-hole proxy closed when the test ends (its own: tests run side by side). */
async function throughProxy(
  test: TestContext,
): Promise<{ url: string; direct: string; proxy: BlackHoleProxy }> {
  const direct = await postgres.freshLocation();
  const target = new URL(direct);
  const proxy = await startBlackHoleProxy({ host: target.hostname, port: Number(target.port) });
  test.onTestFinished(() => proxy.close());
  const url = new URL(direct);
  url.port = String(proxy.port);
  return { url: url.href, direct, proxy };
}

async function rejection(promise: Promise<unknown>): Promise<StateError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as StateError,
  );
}

// The tests mostly wait (for a timeout, for the lock check): they wait side by side.
describe.concurrent('PostgreSQL state on a network that drops packets', { timeout: 30_000 }, () => {
  it('a query whose answer never comes fails with the query timeout, naming its setting', async (test) => {
    const { url, proxy } = await throughProxy(test);
    const store = await openStateStore(url, { queryTimeoutMs: 1_000 });
    try {
      expect((await store.readAll()).audiences).toEqual([]);
      proxy.blackHole();
      const error = await rejection(store.readAll());
      expect(error.code).toBe('STATE_DB_TIMEOUT');
      expect(error.message).toMatch(
        /^PostgreSQL state postgres:\/\/127\.0\.0\.1:\d+\/\S+: no answer from the server within 1 s .*--state-query-timeout or AUDIENCECTL_STATE_QUERY_TIMEOUT raises the limit\)$/,
      );
      expect(error.message).not.toContain(password);
      expect(proxy.dropped().toTarget, 'the query reached the black hole').toBeGreaterThan(0);
    } finally {
      // Must not wait for a goodbye the black hole never answers.
      await store.close();
    }
  });

  it('a connection that never opens fails with the connect timeout, naming its setting', async (test) => {
    const { url, proxy } = await throughProxy(test);
    proxy.blackHole();
    const store = await openStateStore(url, { connectTimeoutMs: 300 });
    try {
      // The pool's connection (every command), then a lone client's (`init`).
      for (const call of [() => store.readAll(), () => store.init()]) {
        const error = await rejection(call());
        expect(error.code).toBe('STATE_DB_TIMEOUT');
        expect(error.message).toMatch(
          /^PostgreSQL state postgres:\/\/127\.0\.0\.1:\d+\/\S+: could not connect within 300 ms .*--state-connect-timeout or AUDIENCECTL_STATE_CONNECT_TIMEOUT raises the limit\)$/,
        );
        expect(error.message).not.toContain(password);
      }
      expect(proxy.accepted()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('a controller leader whose idle lock connection goes silent is deposed, and stops writing', async (test) => {
    const { url, proxy } = await throughProxy(test);
    const store = await openStateStore(url, { queryTimeoutMs: 1_000 });
    let elected!: () => void;
    const isLeader = new Promise<void>((resolve) => (elected = resolve));
    let deposed!: (error: Error) => void;
    const lost = new Promise<Error>((resolve) => (deposed = resolve));
    const leadership = new Leadership({
      store,
      logger: silentLogger(),
      onElected: () => elected(),
      onDeposed: (error) => deposed(error),
    });
    try {
      leadership.start();
      await isLeader;
      expect(leadership.role).toBe('leader');
      await store.put(aRecord('gold'));
      // No query is running: only the lock connection's periodic check can notice.
      proxy.blackHole();
      const error = (await lost) as StateError;
      expect(error.code).toBe('STATE_LOCK_LOST');
      expect(error.message).toMatch(
        /^lost the connection holding the state lock of \S+ \(PostgreSQL state \S+: no answer to the lock connection's check within 1 s\); another audiencectl may take over/,
      );
      expect(error.message).not.toContain(password);
      expect(leadership.role).toBe('standby');
      expect(proxy.dropped().toTarget, 'the check went into the black hole').toBeGreaterThan(0);
      // The writes stop too: refused at once, not sent into the black hole.
      expect((await rejection(store.put(aRecord('silver')))).code).toBe('STATE_LOCK_LOST');
    } finally {
      await leadership.stop();
      await store.close();
    }
  });

  it('apply whose state connections go silent mid-apply stops with the lost lock, exit 1, its records kept', async (test) => {
    await withEmulator({}, async (emulator) => {
      // A run that stays in progress far longer than the test: only the lost lock can end the apply.
      emulator.control.setDelays({ runStageDelayMs: 3_600_000 });
      const dir = new ManifestDir(path.join(await tempDir(), 'm'));
      await dir.write([manifestObject('gold', { ingestion: { onCreate: true } })]);
      const { url, direct, proxy } = await throughProxy(test);
      const runs = () => emulator.control.counters().byEndpoint.getRun.requests;
      let exited = false;
      const applying = runCli(['apply', dir.dir, '--state', url, '--auto-approve', '--run-wait', '1h'], {
        env: { ...emulatorEnv(emulator), AUDIENCECTL_STATE_QUERY_TIMEOUT: '2s' },
      }).finally(() => (exited = true));
      // The lock is taken and the create recorded: the apply follows its run.
      while (runs() === 0 && !exited) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(exited, 'the apply was still running when the black hole came').toBe(false);
      proxy.blackHole();
      const result = await applying;
      expect(proxy.dropped().toTarget, 'the black hole landed while the apply held the lock').toBeGreaterThan(
        0,
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /^Error: lost the connection holding the state lock of \S+ \(PostgreSQL state \S+: no answer to the lock connection's check within 2 s\); another audiencectl may take over, so this one stops writing/m,
      );
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(`${result.stdout}${result.stderr}`).not.toContain(password);
      // What was recorded before the black hole is kept: the next apply follows that run.
      const store = await openStateStore(direct);
      try {
        const record = await store.get('prod', 'gold');
        expect(record?.audienceId).toBeDefined();
        expect(record?.runs).toHaveLength(1);
      } finally {
        await store.close();
      }
      expect(emulator.control.counters().byEndpoint.startRun.requests).toBe(1);
    });
  });
});

describe.concurrent('PostgreSQL state on a slow server', { timeout: 30_000 }, () => {
  it("a statement slower than the query timeout fails; state migrate's copy is given longer", async () => {
    const state = await postgres.freshLocation();
    const schema = new URL(state).searchParams.get('schema')!;
    // Every INSERT into the records takes 1.5 s on the server, over the 1 s query timeout.
    await postgres.query(`
      CREATE FUNCTION "${schema}".slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
      CREATE TRIGGER slow BEFORE INSERT ON "${schema}".audiences
        FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".slow();`);
    const store = await openStateStore(state, { queryTimeoutMs: 1_000 });
    try {
      await store.lock();
      await store.restore({
        meta: { schemaVersion: 1, lineage: 'c0ffee00-0000-4000-8000-000000000000', serial: 7 },
        audiences: [aRecord('gold')],
      });
      const error = await rejection(store.put(aRecord('silver')));
      expect(error.code).toBe('STATE_DB_TIMEOUT');
      expect(error.message).toMatch(/: no answer from the server within 1 s /);
      expect((await store.list()).map(([, key]) => key)).toEqual(['gold']);
    } finally {
      await store.close();
    }
  });

  it('init waiting on a lock (as for another init) longer than the query timeout is not cut', async () => {
    const state = await postgres.freshLocation();
    const schema = new URL(state).searchParams.get('schema')!;
    const holder = new pg.Client({ connectionString: postgres.url });
    await holder.connect();
    const store = await openStateStore(state, { queryTimeoutMs: 1_000 });
    try {
      await holder.query(`BEGIN; LOCK TABLE "${schema}".schema_migrations IN ACCESS EXCLUSIVE MODE`);
      let settled = false;
      const initialising = store.init().finally(() => (settled = true));
      // Once init waits for the table, it waits on past its query timeout before the table is let go.
      while (
        !settled &&
        (
          await postgres.query(
            `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = '"${schema}".schema_migrations'::regclass`,
          )
        ).length === 0
      )
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await holder.query('COMMIT');
      expect(await initialising).toEqual([expect.stringMatching(/is up to date \(schema version 5\)$/)]);
    } finally {
      await holder.end();
      await store.close();
    }
  });
});
