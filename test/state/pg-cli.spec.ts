import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { PgClient } from '../../src/state/pg/connection.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { paste } from '../helpers/paste.js';
import { aRecord, readAll, useTempDirs } from './helpers.js';
import { usePostgres } from './pg.js';

// PostgreSQL as users reach it: `init`, the schema check, `state migrate`, passwords.
const postgres = usePostgres();
const tempDir = useTempDirs();

/**
 * The emulator's environment with no store, configuration or password from the environment:
 * what a command uses comes from its own flags.
 */
function storeOnlyFromFlags(emulator: RunningEmulator) {
  return {
    ...emulatorEnv(emulator),
    AUDIENCECTL_STATE: undefined,
    AUDIENCECTL_CONFIG: undefined,
    PGPASSWORD: undefined,
    PGPASSFILE: '/dev/null',
  };
}

function expectCleanError(result: CliResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^Error: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

async function seed(location: string, records: AudienceRecord[]): Promise<void> {
  const store = await openStateStore(location);
  await store.lock();
  for (const record of records) await store.put(record);
  await store.close();
}

/** The URL without its password, and the password. */
function split(location: string): { bare: string; password: string } {
  const url = new URL(location);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { bare: url.href, password };
}

describe('audiencectl init and the schema check', { timeout: 90_000 }, () => {
  it('refuses a schema init has not created, creates it, and is a no-op the second time', async () => {
    const location = await postgres.freshLocation({ init: false });
    const schema = new URL(location).searchParams.get('schema');
    expectCleanError(
      await runCliInProcess(['state', 'list', '--state', location]),
      /has no audiencectl tables yet; create them with `audiencectl init --state /,
    );
    expectCleanError(
      await runCliInProcess(['plan', await tempDir(), '--state', location]),
      /has no audiencectl tables yet/,
    );
    const first = await runCliInProcess(['init', '--state', location, '--emulator']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(
      new RegExp(
        `^Credentials: .*\nPostgreSQL state postgres://127\\.0\\.0\\.1:\\d+/\\w+\\?schema=${schema}: applied migration 1 .*\n.*: applied migration 2 \\(compat: `,
      ),
    );
    const again = await runCliInProcess(['init', '--state', location, '--emulator']);
    expect(again.stdout).toContain('is up to date (schema version 7)');
    const listed = await runCliInProcess(['state', 'list', '--state', location]);
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toMatch(/^No audiences recorded in postgres:\/\/127\.0\.0\.1/);
  });

  it('the init a state without tables prints names that state (no password): pasted, it initialises it and leaves no file in the cwd; as printed, without the password file, it is refused', async () => {
    const location = await postgres.freshLocation({ init: false });
    const { bare, password } = split(location);
    const cwd = await tempDir();
    const refused = await runCliInProcess(['plan', cwd, '--state', location], { cwd });
    expectCleanError(refused, /has no audiencectl tables yet/);
    const init = /create them with `([^`]*)`/.exec(refused.stderr)?.[1];
    expect(init).toBe(`audiencectl init --state '${bare}' --state-password-file PASSWORD_FILE`);
    expect(refused.stderr).not.toContain(password);
    const env = { AUDIENCECTL_STATE: undefined, PGPASSWORD: undefined, PGPASSFILE: '/dev/null' };
    // As printed (no credentials check: --state-only): the placeholder names no file, nothing is made.
    const asPrinted = await paste(`${init!} --state-only`, { cwd, env });
    expect(asPrinted.code).toBe(1);
    expect(asPrinted.stderr).toMatch(/^Error: .*PASSWORD_FILE/);
    expect(await readdir(cwd)).toEqual([]);
    const passwordFile = path.join(await tempDir(), 'pg-password');
    await writeFile(passwordFile, `${password}\n`);
    const pasted = await paste(`${init!.replace('PASSWORD_FILE', passwordFile)} --state-only`, { cwd, env });
    expect(pasted.stderr).toBe('');
    expect(pasted.code).toBe(0);
    expect(await readdir(cwd)).toEqual([]);
    const listed = await runCliInProcess(['state', 'list', '--state', location], { cwd });
    expect(listed).toMatchObject({ code: 0, stderr: '' });
  });

  it('the init it prints names only the flags given: none for a URL (password included) from AUDIENCECTL_STATE, --config for one from the configuration file; pasted in the same environment, it initialises that state', async () => {
    const cwd = await tempDir();
    const clean = { PGPASSWORD: undefined, PGPASSFILE: '/dev/null', AUDIENCECTL_CONFIG: undefined };

    const fromEnv = await postgres.freshLocation({ init: false });
    const env = { ...clean, AUDIENCECTL_STATE: fromEnv };
    const refused = await runCliInProcess(['state', 'list'], { cwd, env });
    expectCleanError(refused, /has no audiencectl tables yet/);
    const init = /create them with `([^`]*)`/.exec(refused.stderr)?.[1];
    expect(init).toBe('audiencectl init');
    const pasted = await paste(`${init!} --state-only`, { cwd, env });
    expect([pasted.code, pasted.stderr]).toEqual([0, '']);
    expect((await runCliInProcess(['state', 'list'], { cwd, env })).code).toBe(0);

    const fromFile = await postgres.freshLocation({ init: false });
    const config = path.join(await tempDir(), 'audiencectl.yaml');
    await writeFile(config, `state: ${JSON.stringify(fromFile)}\n`);
    const byFile = await runCliInProcess(['state', 'list', '--config', config], {
      cwd,
      env: { ...clean, AUDIENCECTL_STATE: undefined },
    });
    expectCleanError(byFile, /has no audiencectl tables yet/);
    const fileInit = /create them with `([^`]*)`/.exec(byFile.stderr)?.[1];
    // A temp path is one shell word as it is.
    expect(fileInit).toBe(`audiencectl init --config ${config}`);
    expect(byFile.stderr).not.toContain(split(fromFile).password);
    const filePasted = await paste(`${fileInit!} --state-only`, {
      cwd,
      env: { ...clean, AUDIENCECTL_STATE: undefined },
    });
    expect([filePasted.code, filePasted.stderr]).toEqual([0, '']);
  });

  it('says which setting is wrong, without a stack trace', async () => {
    // Its server, database and credentials only: no command reaches a schema.
    const location = new URL(await postgres.freshLocation({ init: false }));
    const wrongDb = new URL(location.href);
    wrongDb.pathname = '/no_such_db';
    expectCleanError(
      await runCliInProcess(['state', 'list', '--state', wrongDb.href]),
      /the database does not exist/,
    );
    expectCleanError(
      await runCliInProcess(['state', 'list', '--state', `${location.href.split('?')[0]}?schema=Bad-Name`]),
      /--state: schema "Bad-Name" must be lowercase letters/,
    );
    expectCleanError(
      await runCliInProcess(['state', 'list', '--state', 'postgres://host:5432']),
      /must name a database/,
    );
  });

  // review 20a, L1: node-postgres's "Invalid port: abc" came out as an internal error with a stack trace.
  it("a port parameter that is no port (?port=abc): one line naming it, not the driver's stack trace", async () => {
    // Refused as the URL is read, before any connection: no schema to migrate for it.
    const location = new URL(await postgres.freshLocation({ init: false }));
    location.searchParams.set('port', 'abc');
    const result = await runCli(['state', 'list', '--state', location.href]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: --state: the URL's port parameter "abc" is not a port (a number from 1 to 65535)\n`,
    });
    // Another refusal of the driver's own, as it reads the URL: one line too.
    const libpq = new URL(await postgres.freshLocation({ init: false }));
    libpq.searchParams.set('uselibpqcompat', 'true');
    libpq.searchParams.set('sslmode', 'verify-ca');
    const refused = await runCli(['state', 'list', '--state', libpq.href]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: the state URL is refused by the PostgreSQL client: SECURITY WARNING: Using sslmode=verify-ca requires specifying a CA with sslrootcert\.[^\n]*\n$/,
    );
  });

  // review 20a, L3: sslmode=require (verify-full in this driver, as docs/state.md says) printed
  // the driver's nine-line SECURITY WARNING before every command's own output.
  it("sslmode=require is read as verify-full without the driver's multi-line warning", async () => {
    for (const mode of ['require', 'prefer', 'verify-ca']) {
      // Refused at the TLS handshake, before any schema is read: none migrated for it.
      const location = new URL(await postgres.freshLocation({ init: false }));
      location.searchParams.set('sslmode', mode);
      const result = await runCli(['state', 'list', '--state', location.href]);
      // The test server speaks no TLS: verify-full's refusal, in one line, and nothing else.
      expect([mode, result.code, result.stderr.split('\n').length]).toEqual([mode, 1, 2]);
      expect(result.stderr).toMatch(
        /^Error: PostgreSQL state [^\n]*: The server does not support SSL connections/,
      );
    }
  });
});

describe('audiencectl state migrate', { timeout: 90_000 }, () => {
  it('copies a directory state to PostgreSQL and back: records, intents, lineage and serial', async () => {
    const dir = await tempDir();
    const intent = { id: 'i-1', kind: 'create' as const, startedAt: '2026-11-22T09:59:00Z' };
    await seed(dir, [aRecord('gold'), aRecord('silver', { sandbox: 'dev' }), aRecord('bronze', { intent })]);
    const original = await readAll(dir);
    const pg = await postgres.freshLocation();

    const copied = await runCliInProcess(['state', 'migrate', '--from', dir, '--to', pg]);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toContain(`Copied 3 audience(s) from ${dir} to postgres://127.0.0.1:`);
    expect(copied.stdout).toContain(`(lineage ${original.meta?.lineage}, serial 3)`);
    expect(copied.stdout).toMatch(/Verified: 3 record\(s\) read back, sha256:[0-9a-f]{64} on both sides/);
    expect(await readAll(pg)).toEqual(original);

    expectCleanError(
      await runCliInProcess(['state', 'migrate', '--from', dir, '--to', pg]),
      /already holds a state with 3 audience\(s\) \(lineage .*, serial 3\); pass --force to replace it/,
    );
    await seed(dir, [aRecord('tin')]);
    expect((await runCliInProcess(['state', 'migrate', '--from', dir, '--to', pg, '--force'])).code).toBe(0);
    expect((await readAll(pg)).audiences.map((r) => r.key)).toEqual(['silver', 'bronze', 'gold', 'tin']);

    const back = path.join(await tempDir(), 'back');
    const returned = await runCliInProcess(['state', 'migrate', '--from', pg, '--to', back]);
    expect(returned.code).toBe(0);
    expect(await readAll(back)).toEqual(await readAll(dir));
  });

  it('refuses a source that holds nothing, even with --force: the target keeps its records', async () => {
    const dir = await tempDir();
    await seed(dir, [aRecord('gold')]);
    const pg = await postgres.freshLocation();
    expect((await runCliInProcess(['state', 'migrate', '--from', dir, '--to', pg])).code).toBe(0);
    const before = await readAll(pg);
    // A mistyped --from that exists: an empty folder.
    const empty = await tempDir();
    expectCleanError(
      await runCliInProcess(['state', 'migrate', '--from', empty, '--to', pg, '--force']),
      new RegExp(
        `^Error: ${empty} holds no state \\(no lineage, no records\\): nothing to copy; check --from\\n$`,
      ),
    );
    expect(await readAll(pg)).toEqual(before);
  });

  it('refuses a missing source directory and the same store on both sides', async () => {
    const pg = await postgres.freshLocation();
    expectCleanError(
      await runCliInProcess([
        'state',
        'migrate',
        '--from',
        path.join(await tempDir(), 'missing'),
        '--to',
        pg,
      ]),
      /no state directory at .*missing; pass --from <dir> to point at one/,
    );
    expectCleanError(
      await runCliInProcess(['state', 'migrate', '--from', pg, '--to', pg]),
      /name the same store/,
    );
  });

  it('refuses the same store reached by two spellings of its host (127.0.0.1, localhost), before any lock', async () => {
    const dir = await tempDir();
    await seed(dir, [aRecord('gold')]);
    const pg = await postgres.freshLocation();
    expect((await runCliInProcess(['state', 'migrate', '--from', dir, '--to', pg])).code).toBe(0);
    const before = await readAll(pg);
    const alias = new URL(pg);
    expect(alias.hostname).toBe('127.0.0.1');
    alias.hostname = 'localhost';
    const result = await runCliInProcess(['state', 'migrate', '--from', pg, '--to', alias.href, '--force']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'Error: --from and --to name the same store\n' });
    expect(await readAll(pg)).toEqual(before);
    // Another schema of the same database is another store.
    const other = await postgres.freshLocation();
    expect((await runCliInProcess(['state', 'migrate', '--from', pg, '--to', other])).code).toBe(0);
  });
});

describe('the database password', { timeout: 90_000 }, () => {
  it('comes from the URL, PGPASSWORD or a password file, and never shows in output or errors', async () => {
    const location = await postgres.freshLocation();
    const { bare, password } = split(location);
    expect(password).toMatch(/^pg-canary-/);
    const passwordFile = path.join(await tempDir(), 'pg-password');
    await writeFile(passwordFile, `${password}\n`);
    const held = await openStateStore(location);
    await held.lock({ command: 'test-holder' });
    try {
      const runs = [
        await runCliInProcess(
          [
            'state',
            'import',
            'gold',
            '--audience-id',
            '60ccea95-1435-4180-97a5-58af4aa285ab',
            '--without-manifest',
            '--state',
            bare,
          ],
          {
            env: { PGPASSWORD: password },
          },
        ),
        await runCliInProcess(['state', 'list', '--state', bare, '--state-password-file', passwordFile]),
        await runCliInProcess(['state', 'list', '--state', location]),
        await runCliInProcess(['state', 'show', 'nothing', '--state', location]),
        await runCliInProcess(['state', 'list', '--state', bare], {
          env: { PGPASSWORD: `${password}-wrong`, PGPASSFILE: '/dev/null' },
        }),
        await runCliInProcess(['plan', await tempDir(), '--state', location, '--output', 'json']),
      ];
      expect(runs.map((r) => r.code)).toEqual([1, 0, 0, 1, 1, 0]);
      expect(runs[0]?.stderr).toMatch(/is locked by pid \d+ on host .* \(test-holder\)/);
      expect(runs[1]?.stdout).toContain('No audiences recorded in');
      expect(runs[4]?.stderr).toMatch(/the password of user "postgres" was refused/);
      for (const run of runs) {
        expect(`${run.stdout}${run.stderr}`).not.toContain(password);
        expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
      }
    } finally {
      await held.close();
    }
  });
  it("a repair command refused by the lock closes its connections as it exits (it lingered for the pool's 10 s idle time)", async () => {
    const location = await postgres.freshLocation();
    const held = await openStateStore(location);
    await held.lock({ command: 'test-holder' });
    const sessions = async () =>
      (
        await postgres.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'audiencectl'",
        )
      )[0]?.n;
    try {
      const holders = await sessions();
      const refused = await runCliInProcess(
        ['state', 'forget', 'gold', '--sandbox', 'prod', '--lock-timeout', '0'],
        {
          env: { AUDIENCECTL_STATE: location },
        },
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/is locked by pid \d+ on host .* \(test-holder\)/);
      // Closed before the command returned: the server shows only the holder's sessions.
      expect(await sessions()).toBe(holders);
    } finally {
      await held.close();
    }
  });
  it('an empty --state-password-file: one line naming the file, not "none was given"', async () => {
    const { bare } = split(await postgres.freshLocation());
    const passwordFile = path.join(await tempDir(), 'password');
    await writeFile(passwordFile, '\n');
    const result = await runCliInProcess(
      ['state', 'list', '--state', bare, '--state-password-file', passwordFile],
      {
        env: { PGPASSWORD: '', PGPASSFILE: path.join(await tempDir(), 'no-pgpass') },
      },
    );
    expect([result.code, result.stdout, result.stderr]).toEqual([
      1,
      '',
      `Error: --state-password-file: the state password file ${passwordFile} is empty: write the database password in it\n`,
    ]);
  });

  it("none given anywhere: one line naming where to give it, not the driver's SASL message", async () => {
    const { bare } = split(await postgres.freshLocation());
    const noPassFile = path.join(await tempDir(), 'no-pgpass');
    const result = await runCliInProcess(['state', 'list', '--state', bare], {
      env: { PGPASSWORD: '', PGPASSFILE: noPassFile },
    });
    expectCleanError(
      result,
      /^Error: PostgreSQL state postgres:\/\/\S+: the server asks for a password and none was given: set it with --state-password-file \(or AUDIENCECTL_STATE_PASSWORD_FILE\), PGPASSWORD, or a password file \(PGPASSFILE, else ~\/\.pgpass\)\n$/,
    );
    // node-postgres left the socket of the exchange it gave up open: the server's backend
    // waited for the rest until its authentication_timeout (60 s), and the CLI's process with it.
    const client = new PgClient({ connectionString: bare, password: () => '' });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toThrow(/client password must be a (non-empty )?string/);
    expect(client.connection.stream.destroyed).toBe(true);
  });
});

/**
 * review 20a, H1: a password written into the URL without percent-encoding, digits then "/"
 * (`postgres://app:2024/Summer@host/db`), is read by the URL parser as host `app`, port 2024
 * and a path holding the rest of it: no password to remove, and every message, log line and
 * controller start failure printed it as the store's name.
 */
describe('a password not percent-encoded in the URL', { timeout: 90_000 }, () => {
  it('is refused before any connection, in one line naming where the URL came from and never any part of it; percent-encoded, it works', async () => {
    const location = new URL(await postgres.freshLocation());
    const schema = location.searchParams.get('schema') ?? '';
    const role = `r_${randomBytes(4).toString('hex')}`;
    const secret = `Summer-canary-${randomBytes(6).toString('hex')}`;
    const password = `2024/${secret}`;
    await postgres.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await postgres.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await postgres.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
    try {
      const bad = `postgres://${role}:${password}@${location.host}${location.pathname}?schema=${schema}`;
      const cwd = await tempDir();
      const manifests = await tempDir();
      const config = path.join(await tempDir(), 'audiencectl.yaml');
      await writeFile(config, `state: ${JSON.stringify(bad)}\n`);
      const env = storeOnlyFromFlags(emulator);
      const runs: Array<[where: string, args: string[], extra?: Record<string, string>]> = [
        ['--state', ['state', 'list', '--state', bad]],
        ['--state', ['plan', manifests, '--state', bad, '--output', 'json']],
        ['--state', ['apply', manifests, '--state', bad, '--auto-approve']],
        ['--state', ['init', '--state', bad, '--state-only']],
        ['AUDIENCECTL_STATE', ['state', 'list'], { AUDIENCECTL_STATE: bad }],
        ['AUDIENCECTL_STATE', ['init', '--state-only'], { AUDIENCECTL_STATE: bad }],
        [`state: in ${config}`, ['state', 'list', '--config', config]],
        ['--to', ['state', 'migrate', '--from', await tempDir(), '--to', bad]],
        ['--state', ['run', '--dir', manifests, '--state', bad, '--listen', '127.0.0.1:0']],
        [
          'AUDIENCECTL_STATE',
          ['run', '--dir', manifests, '--listen', '127.0.0.1:0'],
          { AUDIENCECTL_STATE: bad },
        ],
      ];
      for (const [where, args, extra] of runs) {
        const result = await runCli(args, { cwd, env: { ...env, ...extra } });
        const output = `${result.stdout}${result.stderr}`;
        expect(output, args.join(' ')).not.toContain(secret);
        expect(output, args.join(' ')).not.toContain('2024');
        expect(result.code, args.join(' ')).not.toBe(0);
        expect(result.stderr, args.join(' ')).toBe(
          `Error: ${where}: the URL holds "@" after its host: a password holding / ? or # must be percent-encoded (%2F %3F %23, and @ as %40), or given by --state-password-file (AUDIENCECTL_STATE_PASSWORD_FILE) or PGPASSWORD; an "@" in a parameter value is written %40 too; the URL is not shown\n`,
        );
      }
      // As told: percent-encoded, the same password reaches the store.
      const encoded = `postgres://${role}:${encodeURIComponent(password)}@${location.host}${location.pathname}?schema=${schema}`;
      const listed = await runCli(['state', 'list', '--state', encoded], { cwd, env });
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toContain(secret);
    } finally {
      await emulator.close();
      await postgres.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});

/**
 * review 20a, L5: an apply or a controller whose store cannot be opened printed the database's
 * error twice, first as "the remembered readings of the API page are unreadable".
 */
describe('a store that cannot be opened at start', { timeout: 90_000 }, () => {
  it('apply and the controller print the real cause once', async () => {
    const location = new URL(await postgres.freshLocation());
    const password = decodeURIComponent(location.password);
    location.password = `${password}-wrong`;
    const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
    try {
      const cwd = await tempDir();
      const manifests = path.join(cwd, 'm');
      await mkdir(manifests);
      await writeFile(
        path.join(manifests, 'gold.yaml'),
        manifestYaml('gold', { ingestion: { onCreate: false } }),
      );
      const env = storeOnlyFromFlags(emulator);
      for (const args of [
        ['apply', 'm', '--state', location.href, '--auto-approve'],
        ['run', '--dir', 'm', '--state', location.href, '--listen', '127.0.0.1:0'],
      ]) {
        const result = await runCli(args, { cwd, env });
        const output = `${result.stdout}${result.stderr}`;
        expect(result.code, args[0]).toBe(1);
        expect(output, args[0]).not.toContain('remembered readings');
        expect(output.match(/the password of user "postgres" was refused/g), output).toHaveLength(1);
        // The store is shown without its URL's user, so the refusal names it.
        expect(result.stderr, args[0]).toMatch(
          /^Error: PostgreSQL state postgres:\/\/127\.0\.0\.1:\S+: the password of user "postgres" was refused \[28P01\]$/m,
        );
        expect(output).not.toContain(password);
      }
    } finally {
      await emulator.close();
    }
  });
});

describe('the state lock', () => {
  it(
    'a lock wait ends after --lock-timeout even when the wall clock is stepped back meanwhile',
    { timeout: 5_000 },
    async () => {
      const location = await postgres.freshLocation();
      const held = await openStateStore(location);
      await held.lock({ command: 'test-holder' });
      const waiter = await openStateStore(location);
      // Only Date is faked: performance.now, timers and the server run as they do.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const waiting = waiter.lock({
          timeoutMs: 200,
          pollMs: 20,
          // NTP steps the wall clock an hour back as the wait starts.
          onWait: () => vi.setSystemTime(Date.now() - 3_600_000),
        });
        await expect(waiting).rejects.toMatchObject({ code: 'STATE_LOCKED' });
      } finally {
        vi.useRealTimers();
        await waiter.close();
        await held.close();
      }
    },
  );

  it('a lock wait gives up when its signal fires (a controller stopping, Ctrl-C), holding nothing', async () => {
    const location = await postgres.freshLocation();
    const held = await openStateStore(location);
    await held.lock({ command: 'audiencectl apply' });
    const waiter = await openStateStore(location);
    const stop = new AbortController();
    try {
      const error = await waiter
        .lock({ timeoutMs: 3_600_000, pollMs: 3_600_000, signal: stop.signal, onWait: () => stop.abort() })
        .then(
          () => undefined,
          (refused: unknown) => refused as { code?: string; message?: string },
        );
      expect(error?.code).toBe('STATE_LOCK_WAIT_STOPPED');
      expect(error?.message).toMatch(
        /^stopped waiting for the state lock of postgres:\/\/\S+, held by pid \d+ on host \S+ \(audiencectl apply\) since \S+: nothing was changed\.$/,
      );
      // The holder still holds it and writes.
      await held.put(aRecord('after-the-stop'));
    } finally {
      await waiter.close();
      await held.close();
    }
  });
});
