import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, type TestContext } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateError } from '../../src/state/errors.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { startBlackHoleProxy, type BlackHoleProxy } from '../helpers/black-hole-proxy.js';
import { CLI, collectResult, runCli, type CliResult } from '../helpers/cli.js';
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

/** A promise and its resolve, for a test to say when something may go on. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The built CLI, its standard output read as it comes; `ended` once the process has. */
function watchedCli(args: string[], env: Record<string, string>) {
  const all: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    AEP_SANDBOX: undefined,
    ...env,
  };
  const child = spawn(process.execPath, [CLI, ...args], {
    env: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)),
  });
  let stdout = '';
  let ended = false;
  const result: Promise<CliResult> = collectResult(child).finally(() => (ended = true));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return {
    result,
    get ended() {
      return ended;
    },
    /** Resolves once standard output has a line matching `line`; fails if the process ends first. */
    printed(line: RegExp): Promise<void> {
      return new Promise((resolve, reject) => {
        const look = () => {
          if (!line.test(stdout)) return;
          child.stdout.off('data', look);
          resolve();
        };
        child.stdout.on('data', look);
        look();
        void result.then((ended) => {
          if (!line.test(stdout))
            reject(
              new Error(
                `the process ended (${ended.code}) before printing ${line}:\n${ended.stdout}${ended.stderr}`,
              ),
            );
        });
      });
    },
  };
}

// The tests mostly wait (for a timeout, for the lock check): they wait side by side.
// No timeout of their own: the suite's guard against a hang (vitest.config.ts). They wait for real
// timeouts (the lock connection's checks, spawned CLIs) side by side, and a 30 s bound of theirs
// failed passing tests on a loaded machine.
describe.concurrent('PostgreSQL state on a network that drops packets', () => {
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
      // Dropped either way: a lock check sent just before the black hole has its answer dropped,
      // and while it waits (query_timeout) no other is sent, so nothing more goes to the server.
      const { toTarget, toClient } = proxy.dropped();
      expect(toTarget + toClient, 'the black hole landed while the apply held the lock').toBeGreaterThan(0);
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

  it('apply whose database goes silent with a write in flight exits 1 when it notices, not when that write gives up', async (test) => {
    await withEmulator({}, async (emulator) => {
      const dir = new ManifestDir(path.join(await tempDir(), 'm'));
      await dir.write([manifestObject('gold'), manifestObject('silver', { metadata: { sandbox: 'dev' } })]);
      const { url, direct, proxy } = await throughProxy(test);
      // Each create's answer is held: gold's (prod) until the database is silent, so that
      // writing it is in flight when the apply notices; silver's (dev) until the apply has
      // stopped, its POST on the wire then: the line saying so is the sign it noticed.
      const gold = { arrived: gate(), answer: gate() };
      const silver = { arrived: gate(), answer: gate() };
      const stopObserving = emulator.control.observeRequests((request) => {
        if (request.endpoint !== 'createAudience') return undefined;
        const held = request.sandbox === 'dev' ? silver : gold;
        held.arrived.open();
        return held.answer.promise;
      });
      const env = emulatorEnv(emulator);
      try {
        // A query timeout far beyond the test: only the lost lock can end the apply while the
        // database is silent (its lock connection's check still gives up after 8 s).
        const first = watchedCli(['apply', dir.dir, '--state', url, '--auto-approve'], {
          ...env,
          AUDIENCECTL_STATE_QUERY_TIMEOUT: '1h',
        });
        await Promise.race([
          Promise.all([gold.arrived.promise, silver.arrived.promise]),
          first.result.then((early) => {
            throw new Error(`the apply ended before its creates:\n${early.stdout}${early.stderr}`);
          }),
        ]);
        proxy.blackHole();
        gold.answer.open();
        await first.printed(/^FAILED +dev\/silver create: /m);
        silver.answer.open();
        // The server finds the silent apply's connections gone, as its keepalives would, and
        // frees its lock: the next apply takes it and settles what the first one left.
        proxy.cutTarget();
        const records = await openStateStore(direct);
        try {
          // The write of gold's answer never landed: both creates' intents are kept.
          for (const [sandbox, key] of [
            ['prod', 'gold'],
            ['dev', 'silver'],
          ] as const) {
            const record = await records.get(sandbox, key);
            expect(record?.intent?.kind, `${sandbox}/${key}`).toBe('create');
            expect(record?.audienceId, `${sandbox}/${key}`).toBeUndefined();
          }
        } finally {
          await records.close();
        }
        // Listed from now on whatever the time: the next apply finds both by name.
        for (const sandbox of ['prod', 'dev'])
          for (const operation of emulator.control.listOperations(DEMO_CLIENT.orgId, sandbox))
            emulator.control.finishOperation(DEMO_CLIENT.orgId, sandbox, operation.operationId);
        const next = await runCli(
          ['apply', dir.dir, '--state', direct, '--auto-approve', '--lock-timeout', '1m'],
          { env },
        );
        expect(next.code, `${next.stdout}${next.stderr}`).toBe(0);
        // Until now the database answered nothing to the first apply; from here on it hears
        // that its connections are closed.
        const endedWhileSilent = first.ended;
        await proxy.close();
        const result = await first.result;
        expect(
          endedWhileSilent,
          `the apply went on after it noticed the lost lock, until its database answered again (a write in flight was waited for):\n${result.stdout}${result.stderr}`,
        ).toBe(true);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toMatch(
          /^Error: lost the connection holding the state lock of \S+ \(PostgreSQL state \S+: no answer to the lock connection's check within 8 s\); another audiencectl may take over, so this one stops writing/m,
        );
        expect(result.stderr).not.toMatch(/^\s+at /m);
        // The next apply adopted what the first one's POSTs made: nothing was made twice.
        for (const sandbox of ['prod', 'dev'])
          expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, sandbox), sandbox).toHaveLength(1);
        expect(next.stdout).toMatch(/^ok +prod\/gold create: adopted /m);
        expect(next.stdout).toMatch(/^ok +dev\/silver create: adopted /m);
      } finally {
        gold.answer.open();
        silver.answer.open();
        stopObserving();
      }
    });
  });
});

/** Every INSERT into the records of `schema` takes `seconds` on the server (a statement trigger). */
async function slowInserts(schema: string, seconds: number): Promise<void> {
  await postgres.query(`
    CREATE FUNCTION "${schema}".slow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${seconds}); RETURN NULL; END $$;
    CREATE TRIGGER slow BEFORE INSERT ON "${schema}".audiences
      FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".slow();`);
}

describe.concurrent('PostgreSQL state on a slow server', () => {
  it("a statement slower than the query timeout fails; state migrate's copy is given longer", async () => {
    const state = await postgres.freshLocation();
    const schema = new URL(state).searchParams.get('schema')!;
    // Every INSERT into the records takes 1.5 s on the server, over the 1 s query timeout.
    await slowInserts(schema, 1.5);
    const store = await openStateStore(state, { queryTimeoutMs: 1_000 });
    try {
      await store.lock();
      await store.restore({
        meta: { schemaVersion: 1, lineage: 'c0ffee00-0000-4000-8000-000000000000', serial: 7 },
        audiences: [aRecord('gold')],
      });
      const error = await rejection(store.put(aRecord('silver')));
      expect(error.code).toBe('STATE_DB_TIMEOUT');
      // The client's timer, or the server's statement_timeout (sessionLimits sets it to the same
      // 1 s), whichever fires first: both name the limit and the flag that raises it.
      expect(error.message).toMatch(
        /: (no answer from the server within 1 s |the server cancelled a statement at its statement_timeout: .*\(1 s, )/,
      );
      expect((await store.list()).map(([, key]) => key)).toEqual(['gold']);
    } finally {
      await store.close();
    }
  });

  it('a holder that still has its lock lets it go only once its writes in flight have landed', async () => {
    const state = await postgres.freshLocation();
    const schema = new URL(state).searchParams.get('schema')!;
    // Every INSERT into the records takes 0.5 s on the server: the write is in flight when
    // the lock is let go.
    await slowInserts(schema, 0.5);
    const store = await openStateStore(state);
    try {
      await store.lock();
      const order: string[] = [];
      const writing = store.put(aRecord('gold')).then(() => order.push('written'));
      await store.unlock();
      order.push('unlocked');
      await writing;
      expect(order).toEqual(['written', 'unlocked']);
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
      expect(await initialising).toEqual([expect.stringMatching(/is up to date \(schema version 7\)$/)]);
    } finally {
      await holder.end();
      await store.close();
    }
  });
});
