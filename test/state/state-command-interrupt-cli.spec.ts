import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FINISHING_WRITE_MESSAGE } from '../../src/cli/state-interrupt.js';
import { openStateStore } from '../../src/state/open.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { holdAnswers } from '../apply/helpers/interrupted-apply.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { CLI, type CliResult } from '../helpers/cli.js';
import { startGateway } from '../helpers/gateway.js';
import { executorEnv } from '../helpers/executor-env.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord, useTempDirs } from './helpers.js';
import { spawnFixture, type Child } from './spawn.js';
import { useStores, type StoreKind } from './stores.js';

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

/** `location`, made a store holding one record: gold. */
async function holdingGold(location: string): Promise<string> {
  const store = await openStateStore(location);
  await store.lock();
  await store.put(aRecord('gold'));
  await store.close();
  return location;
}

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

/** The built CLI's `state …`, its stderr read as it comes; `env` added to a copy without AEP credentials. */
function spawnState(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AEP_') && name !== 'AUDIENCECTL_CONFIG'),
  );
  const child = spawn(process.execPath, [CLI, 'state', ...args], {
    env: { ...base, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const wakers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of wakers) wake();
  });
  const exited = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const wake of wakers) wake();
      resolve({ code: code ?? -1, signal, stdout, stderr });
    }),
  );
  return {
    exited,
    /** Resolves with `held`; rejects, with what the command printed, if it ends first. */
    reaches: (held: Promise<void>) =>
      Promise.race([
        held,
        exited.then((ended) => {
          throw new Error(`the command ended before its call was held:\n${ended.stdout}\n${ended.stderr}`);
        }),
      ]),
    signal: (name: NodeJS.Signals) => child.kill(name),
    /** Resolves once stderr matches `pattern`; rejects, with what it printed, if the process ends first. */
    stderrShows: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) {
            wakers.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            wakers.delete(check);
            reject(new Error(`the command ended before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        wakers.add(check);
        check();
      }),
  };
}

/** What the messages call the store: a directory, a PostgreSQL URL without its password. */
function storeName(kind: StoreKind, location: string): string {
  return kind.name === 'directory' ? location : location.replace(/:[^:@/]*@/, '@');
}

/** What the messages call the store's lock: a directory's lock file, a PostgreSQL store's. */
function lockName(kind: StoreKind, location: string): string {
  return kind.name === 'directory' ? `${location}/lock` : `of ${storeName(kind, location)}`;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
      const location = await holdingGold(await kind.fresh());
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
        const location = await holdingGold(await kind.fresh());
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
        const location = await holdingGold(await kind.fresh());
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
      const location = await holdingGold(await stores.postgres.freshLocation());
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
      const location = await holdingGold(await stores.postgres.freshLocation());
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
