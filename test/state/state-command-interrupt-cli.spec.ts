import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FINISHING_WRITE_MESSAGE } from '../../src/cli/state-interrupt.js';
import { openStateStore } from '../../src/state/open.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { holdAnswers } from '../apply/helpers/interrupted-apply.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { startGateway } from '../helpers/gateway.js';
import { executorEnv } from '../helpers/executor-env.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord, useTempDirs } from './helpers.js';
import { escaped, holding, lockName, spawnState, storeName } from './signalled-state-cli.js';
import { spawnFixture, type Child } from './spawn.js';
import { useStores } from './stores.js';

// Ctrl-C and SIGTERM in `state import|forget|settle-run` (docs/state.md, "The lock"). They were
// ended by Node's default wherever they were: exit 130 with no word, a lock wait not told it
// was stopped. Each signal is sent once the command provably is where the case says: it has
// said it waits for the lock a holder keeps (holder.mjs), or the emulator holds the answer of
// its call to AEP.
const stores = useStores();
const tempDir = useTempDirs();
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});
const STACK = /\n\s+at /;
const AUDIENCE_ID = '60ccea95-1435-4180-97a5-58af4aa285ab';

/** The records of `location`, read once its lock is free (a lock still held refuses at once). */
async function recordsAfter(location: string): Promise<AudienceRecord[]> {
  const store = await openStateStore(location);
  try {
    await store.lock({ timeoutMs: 0 });
    return (await store.readAll()).audiences;
  } finally {
    await store.close();
  }
}

/** Each command, with what it is given and the signal sent to it. */
const COMMANDS = [
  { name: 'forget', signal: 'SIGINT', args: () => ['forget', 'gold'] },
  {
    name: 'import',
    signal: 'SIGTERM',
    args: (manifests: string) => [
      'import',
      'silver',
      manifests,
      '--audience-id',
      AUDIENCE_ID,
      '--without-manifest',
    ],
  },
  { name: 'settle-run', signal: 'SIGINT', args: () => ['settle-run', 'gold', '--no-run', '--force'] },
] as const;

describe.each(stores)('state import|forget|settle-run waiting for the lock ($name store)', (kind) => {
  it.each(COMMANDS)(
    '$name: $signal ends the wait at once, nothing changed, nothing held',
    { timeout: 60_000 },
    async (command) => {
      const location = await holding(await kind.fresh(), 'gold');
      const manifests = await tempDir();
      const holder = spawnFixture('holder.mjs', [location, 'forever']);
      children.push(holder);
      await holder.waitFor(/^locked/);

      const state = spawnState([
        ...command.args(manifests),
        '--sandbox',
        'prod',
        '--state',
        location,
        '--lock-timeout',
        '30s',
      ]);
      const held = `held by pid ${holder.pid} on host \\S+ \\(test-holder\\) since \\S+`;
      await state.stderrShows(
        new RegExp(
          `^Waiting up to 30 s for the state lock of ${escaped(storeName(kind, location))}, ${held}\\.\\.\\.\n`,
        ),
      );
      state.signal(command.signal);
      const ended = await state.exited;

      expect(ended.signal).toBeNull();
      expect(ended.stderr).toMatch(
        new RegExp(
          `\nError: stopped waiting for the state lock ${escaped(lockName(kind, location))}, ${held}: nothing was changed\\.\n$`,
        ),
      );
      expect(ended.stderr).not.toMatch(STACK);
      expect(ended.code).toBe(1);
      expect(ended.stdout).toBe('');
      await holder.kill();
      expect((await recordsAfter(location)).map((record) => record.key)).toEqual(['gold']);
    },
  );
});

describe.each(stores)('state import and settle-run during their call to AEP ($name store)', (kind) => {
  it(
    'import: Ctrl-C while the audience is read ends the call, nothing imported, the lock let go',
    { timeout: 60_000 },
    async () => {
      await withEmulator({}, async (emulator) => {
        const location = await holding(await kind.fresh(), 'gold');
        const env = executorEnv(emulator, location);
        const manifests = await tempDir();
        // The audience's GET (the Audiences API, which the emulator does not observe) is held
        // by a gateway in front of it, never answered.
        const gateway = await startGateway(emulator.url);
        gateway.choose((method, url) =>
          method === 'GET' && url.startsWith(`/data/core/ups/audiences/${AUDIENCE_ID}`) ? 'hold' : 'pass',
        );
        try {
          const state = spawnState(
            [
              'import',
              'silver',
              manifests,
              '--audience-id',
              AUDIENCE_ID,
              '--without-manifest',
              '--sandbox',
              'prod',
              '--state',
              location,
            ],
            emulatorEnv(env.emulator, { AEP_BASE_URL: `${gateway.url}/data/core/ais` }),
          );
          await state.reaches(gateway.held);
          state.signal('SIGINT');
          const ended = await state.exited;

          expect(ended.signal).toBeNull();
          expect(ended.stderr).toBe(
            `Error: interrupted (SIGINT): nothing was changed in ${storeName(kind, location)}; run the command again\n`,
          );
          expect(ended.code).toBe(130);
          expect(ended.stdout).toBe('');
        } finally {
          await gateway.close();
        }
        expect((await recordsAfter(location)).map((record) => record.key)).toEqual(['gold']);
      });
    },
  );

  it(
    'settle-run: SIGTERM while the runs are read ends the call, nothing recorded, the lock let go',
    { timeout: 60_000 },
    async () => {
      await withEmulator({}, async (emulator) => {
        const location = await holding(await kind.fresh(), 'gold');
        const env = executorEnv(emulator, location);
        const list = holdAnswers(env, 'listRuns');
        try {
          const state = spawnState(
            [
              'settle-run',
              'gold',
              '--run-id',
              '2f1c3b6e-8d0a-4c4e-9a51-7e2d6f0b9c13',
              '--sandbox',
              'prod',
              '--state',
              location,
            ],
            emulatorEnv(env.emulator),
          );
          await state.reaches(list.arrived);
          state.signal('SIGTERM');
          const ended = await state.exited;

          expect(ended.signal).toBeNull();
          expect(ended.stderr).toBe(
            `Error: interrupted (SIGTERM): nothing was changed in ${storeName(kind, location)}; run the command again\n`,
          );
          expect(ended.code).toBe(143);
          expect(ended.stdout).toBe('');
        } finally {
          list.stop();
        }
        const [gold] = await recordsAfter(location);
        expect(gold).toEqual(aRecord('gold'));
      });
    },
  );
});

describe('state forget signalled while its write waits (postgres store)', () => {
  it(
    'finishes the write it began and says what it did: the record gone, the lock let go',
    { timeout: 60_000 },
    async () => {
      const location = await holding(await stores.postgres.freshLocation(), 'gold');
      const schema = new URL(location).searchParams.get('schema') ?? '';
      // Another session holds the table every write updates (its serial): forget's delete waits.
      const blocker = new pg.Client({ connectionString: stores.postgres.url });
      await blocker.connect();
      try {
        await blocker.query(`BEGIN; LOCK TABLE "${schema}".meta IN EXCLUSIVE MODE`);
        const state = spawnState(['forget', 'gold', '--sandbox', 'prod', '--state', location]);
        await state.reaches(deleteWaiting(schema));
        state.signal('SIGINT');
        await blocker.query('COMMIT');
        const ended = await state.exited;

        expect(ended.signal).toBeNull();
        expect(ended.stderr).toBe(`${FINISHING_WRITE_MESSAGE}\n`);
        expect(ended.stdout).toContain(
          'Forgot prod/gold (audience aud-gold). The remote audience is untouched.',
        );
        expect(ended.code).toBe(0);
      } finally {
        await blocker.end();
      }
      expect(await recordsAfter(location)).toEqual([]);
    },
  );
});

describe('state forget signalled twice while its write waits (postgres store)', () => {
  it(
    'stops at once at the second signal, as Node would, not waiting for the write',
    { timeout: 60_000 },
    async () => {
      const location = await holding(await stores.postgres.freshLocation(), 'gold');
      const schema = new URL(location).searchParams.get('schema') ?? '';
      const blocker = new pg.Client({ connectionString: stores.postgres.url });
      await blocker.connect();
      try {
        await blocker.query(`BEGIN; LOCK TABLE "${schema}".meta IN EXCLUSIVE MODE`);
        const state = spawnState(['forget', 'gold', '--sandbox', 'prod', '--state', location]);
        await state.reaches(deleteWaiting(schema));
        state.signal('SIGINT');
        await state.stderrShows(new RegExp(escaped(FINISHING_WRITE_MESSAGE)));
        // Still waiting for the table: only the second signal ends it.
        state.signal('SIGINT');
        const ended = await state.exited;

        expect(ended.signal).toBe('SIGINT');
        expect(ended.stderr).toBe(`${FINISHING_WRITE_MESSAGE}\n`);
        expect(ended.stdout).toBe('');
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
      }
    },
  );
});

/** Resolves once a session waits for a table lock to delete a record of `schema`. */
async function deleteWaiting(schema: string): Promise<void> {
  for (;;) {
    const waiting = await stores.postgres.query<{ query: string }>(
      `SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
    );
    if (waiting.some((row) => row.query.includes(`DELETE FROM "${schema}".audiences`))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
