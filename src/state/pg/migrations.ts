import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { escapeIdentifier, type ClientBase } from 'pg';
import { StateError } from '../errors.js';
import { LONG_QUERY_MS } from './connection.js';
import { LOCK_CLASS, MIGRATION_CLASS, lockKeyOf } from './keys.js';
import { ownLimits } from './own-limits.js';
import { isTimeout, seconds } from './pg-errors.js';
import { assertServerVersion, serverVersion } from './server-version.js';

/**
 * Versioned SQL, applied in order by `audiencectl init` (each in the transaction
 * that records it in schema_migrations). Never edit a released entry: add one.
 * `{s}` is the quoted schema name.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'records, meta, lock state',
    sql: `
      CREATE TABLE {s}.meta (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        lineage text NOT NULL,
        serial bigint NOT NULL CHECK (serial >= 0)
      );
      CREATE TABLE {s}.audiences (
        sandbox text NOT NULL,
        key text NOT NULL,
        -- The record exactly as the directory store writes its JSON file.
        body jsonb NOT NULL CHECK (body->>'sandbox' = sandbox AND body->>'key' = key),
        intent_kind text GENERATED ALWAYS AS (body->'intent'->>'kind') STORED,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sandbox, key)
      );
      CREATE TABLE {s}.lock_state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        -- Bumped by every new holder: the fencing token writes check.
        generation bigint NOT NULL,
        backend_pid integer,
        holder jsonb,
        acquired_at timestamptz
      );
      INSERT INTO {s}.lock_state (generation) VALUES (0);
    `,
  },
  {
    version: 2,
    name: 'compat: readings of the API page learned per base URL',
    sql: `
      -- A cache beside the records (src/state/pg/compat-rows.ts): written without the
      -- store lock, no serial; deleting rows only makes the client probe again.
      CREATE TABLE {s}.compat (
        base_url text NOT NULL,
        -- '' for a choice about the whole base URL; the sandbox for sourceSpec.
        sandbox text NOT NULL DEFAULT '',
        choice text NOT NULL,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (base_url, choice, sandbox)
      );
    `,
  },
  {
    version: 3,
    name: 'manifest_cache: the manifest cache of each source directory',
    sql: `
      -- A copy of the local manifest cache (src/state/pg/manifest-cache-rows.ts) that seeds
      -- a machine without one (a fresh CI runner): written without the store lock, no
      -- serial; deleting rows only costs a parse of every manifest.
      CREATE TABLE {s}.manifest_cache (
        -- The real path of the manifests directory, as the cache's own header names it.
        source text PRIMARY KEY,
        document text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 4,
    name: 'meta.orgs: the IMS org of each sandbox',
    sql: `
      -- Sandbox -> IMS org (StateMeta.orgs, src/state/org-binding.ts): set by the first write
      -- to a sandbox of a command that calls AEP, in the statement that moves the serial.
      ALTER TABLE {s}.meta ADD COLUMN orgs jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(orgs) = 'object');
    `,
  },
  {
    version: 5,
    name: 'meta.revisions: the commit last applied to each sandbox',
    sql: `
      -- Sandbox -> {commit, committedAt} (StateMeta.revisions, src/state/sandbox-revisions.ts):
      -- set by every write of an apply with a commit, in the statement that moves the serial.
      ALTER TABLE {s}.meta ADD COLUMN revisions jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(revisions) = 'object');
    `,
  },
  {
    version: 6,
    name: 'meta.nonce: a random token written with every serial',
    sql: `
      -- StateMeta.nonce (src/daemon/cached-reads.ts): lineage, serial and nonce name one write's
      -- content, where a store restored from a dump and written as often as it lost is at the
      -- same serial with other records. An insert says its own (a first write, or a restore
      -- keeping its snapshot's); every update of the row gets a fresh one from the server, so
      -- that a release from before it, still running on this schema, moves it too.
      ALTER TABLE {s}.meta ADD COLUMN nonce text;
      CREATE FUNCTION {s}.meta_nonce() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.nonce := gen_random_uuid()::text;
          RETURN NEW;
        END
      $$;
      CREATE TRIGGER meta_nonce BEFORE UPDATE ON {s}.meta
        FOR EACH ROW EXECUTE FUNCTION {s}.meta_nonce();
    `,
  },
  {
    version: 7,
    name: 'audiences.line: the record as validated, beside its body',
    sql: `
      -- The record's JSON as audiencectl validated it, keys in the schema's order (jsonb reorders
      -- them), and the record schema it was validated against (src/state/pg/record-lines.ts): a
      -- plan reads it instead of the body made text, and leaves a quiet row as a line. Rows
      -- written before have none (their body is read, as before) until they are written again.
      ALTER TABLE {s}.audiences ADD COLUMN line text, ADD COLUMN line_schema text;
      -- A line that is not the body's JSON is dropped as it is written: a body changed by hand
      -- (UPDATE ... SET body) keeps no line, and is read, and refused, from its body as before.
      CREATE FUNCTION {s}.audiences_line() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.line IS NOT NULL AND (NEW.line_schema IS NULL OR NEW.line::jsonb IS DISTINCT FROM NEW.body) THEN
            NEW.line := NULL;
            NEW.line_schema := NULL;
          END IF;
          RETURN NEW;
        END
      $$;
      CREATE TRIGGER audiences_line BEFORE INSERT OR UPDATE ON {s}.audiences
        FOR EACH ROW EXECUTE FUNCTION {s}.audiences_line();
    `,
  },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

export function sql(schema: string, text: string): string {
  return text.replaceAll('{s}', escapeIdentifier(schema));
}

/** The version recorded in the schema, 0 when audiencectl never initialised it. */
export async function schemaVersion(client: ClientBase, schema: string): Promise<number> {
  const found = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    `${escapeIdentifier(schema)}.schema_migrations`,
  ]);
  if (!found.rows[0]?.exists) return 0;
  const result = await client.query<{ version: number | null }>(
    sql(schema, 'SELECT max(version) AS version FROM {s}.schema_migrations'),
  );
  return result.rows[0]?.version ?? 0;
}

/**
 * Other commands check, never migrate: a schema change is an explicit step, `init` (the command
 * that runs it on this store, for the message). `flag`: the flag that named the store where a
 * command takes two (`state migrate`'s --from, --to), which the message starts with.
 */
export function assertCurrent(version: number, display: string, init: string, flag?: string): void {
  if (version === SCHEMA_VERSION) return;
  const side = flag === undefined ? '' : `${flag}: `;
  if (version === 0) {
    throw new StateError(
      'STATE_NOT_INITIALISED',
      `${side}the PostgreSQL state ${display} has no audiencectl tables yet; create them with \`${init}\``,
    );
  }
  if (version < SCHEMA_VERSION) {
    throw new StateError(
      'STATE_SCHEMA_OUTDATED',
      `${side}the PostgreSQL state ${display} is at schema version ${version}, this audiencectl needs ${SCHEMA_VERSION}; migrate it with \`${init}\``,
    );
  }
  throw newerSchemaError(version, display, '', side);
}

/**
 * A schema a newer audiencectl migrated (version above SCHEMA_VERSION): this one must not use it.
 * `side`: what the message starts with (assertCurrent's `--from: `), else nothing.
 */
function newerSchemaError(version: number, display: string, more = '', side = ''): StateError {
  return new StateError(
    'STATE_SCHEMA_NEWER',
    `${side}the PostgreSQL state ${display} is at schema version ${version}, made by a newer audiencectl (this one knows ${SCHEMA_VERSION}); upgrade audiencectl${more}`,
  );
}

/**
 * Runs `step` in a transaction holding the schema's migration lock (transaction-level:
 * released by the COMMIT or ROLLBACK, or by the server when the connection ends), its
 * statements under init's own limits (`waitMs`), not a DBA's (own-limits.ts).
 */
async function locked(
  client: ClientBase,
  schema: string,
  waitMs: number,
  step: () => Promise<void>,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(ownLimits(waitMs));
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [MIGRATION_CLASS, lockKeyOf(schema)]);
    await step();
    await client.query('COMMIT');
  } catch (error) {
    if (!isTimeout(error)) await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** SQLSTATE lock_not_available: `lock_timeout` ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * How long one try of a migration waits for a lock on a table of the store before it gives up
 * its place in the lock queue, to try again: an ALTER TABLE asks ACCESS EXCLUSIVE, and while it
 * waited in the queue (behind a nightly pg_dump's ACCESS SHARE, a psql session left in a
 * transaction) every statement on that table queued behind it, each write and read of the
 * controllers still running on the schema, until their query timeout.
 */
const MIGRATION_TRY_MS = 1_000;
/** Between two tries: the statements that queued behind the last one go through. */
const MIGRATION_PAUSE_MS = 200;

/**
 * `step` under the migration lock (locked), its waits for the tables' locks a try of
 * MIGRATION_TRY_MS at a time, tried again until `waitMs` is spent; then STATE_MIGRATION_BLOCKED
 * naming the sessions that hold locks on the schema's tables. A try given up is rolled back.
 */
async function politely(
  client: ClientBase,
  schema: string,
  display: string,
  migration: { version: number; name: string },
  waitMs: number,
  step: () => Promise<void>,
): Promise<void> {
  const started = performance.now();
  for (;;) {
    try {
      await locked(client, schema, waitMs, async () => {
        // After the migration lock: another init is still waited for as long as it takes.
        await client.query(`SET LOCAL lock_timeout = ${MIGRATION_TRY_MS}`);
        await step();
      });
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw error;
      if (performance.now() - started + MIGRATION_TRY_MS >= waitMs)
        throw await blockedMigration(client, schema, display, migration, waitMs, error);
      await sleep(MIGRATION_PAUSE_MS);
    }
  }
}

/** The sessions holding locks on `schema`'s tables, named, and what to do. */
async function blockedMigration(
  client: ClientBase,
  schema: string,
  display: string,
  migration: { version: number; name: string },
  waitMs: number,
  cause: unknown,
): Promise<StateError> {
  const { rows } = await client.query<{ pid: number; app: string | null }>(
    `SELECT l.pid, min(a.application_name) AS app FROM pg_locks l
       JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE n.nspname = $1 AND l.granted AND l.pid <> pg_backend_pid()
      GROUP BY l.pid ORDER BY l.pid`,
    [schema],
  );
  const holders = rows.map(
    (row) => `pid ${row.pid}${row.app ? ` (application_name ${JSON.stringify(row.app)})` : ''}`,
  );
  const held = holders.length > 0 ? `, held by PostgreSQL session ${holders.join(', ')}` : '';
  const end =
    rows.length > 0
      ? ` or end them (${rows.map((r) => `SELECT pg_terminate_backend(${r.pid})`).join('; ')})`
      : '';
  return new StateError(
    'STATE_MIGRATION_BLOCKED',
    `PostgreSQL state ${display}: migration ${migration.version} (${migration.name}) could not lock the tables it changes within ${seconds(waitMs)}${held}; nothing of it was applied. Run init again once they are done${end}`,
    { cause },
  );
}

/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * CREATE SCHEMA, or, refused for want of CREATE on the database (a role of its own, as a DBA
 * makes it), what to grant: the server's words named neither the privilege nor the role.
 */
async function createSchema(client: ClientBase, schema: string, display: string): Promise<void> {
  await client.query('SAVEPOINT create_schema');
  try {
    await client.query(sql(schema, 'CREATE SCHEMA {s}'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw error;
    await client.query('ROLLBACK TO SAVEPOINT create_schema');
    const who = await client.query<{ role: string; database: string }>(
      'SELECT current_user AS role, current_database() AS database',
    );
    const { role, database } = who.rows[0]!;
    const [r, d, s] = [escapeIdentifier(role), escapeIdentifier(database), escapeIdentifier(schema)];
    throw new StateError(
      'STATE_DB_PRIVILEGE',
      `PostgreSQL state ${display}: role ${r} may not create schema ${s} (it lacks CREATE on database ${d}) [${INSUFFICIENT_PRIVILEGE}]: have an administrator run \`GRANT CREATE ON DATABASE ${d} TO ${r}\`, or create the schema for it with \`CREATE SCHEMA ${s} AUTHORIZATION ${r}\`, then run init again`,
      { cause: error },
    );
  }
}

/**
 * Creates the schema and applies the missing migrations, each in its own
 * transaction, under a transaction-level advisory lock so two `init`s never race
 * (the replicas of a fresh install start theirs at once), waiting for its tables' locks
 * without holding up the controllers still running on the schema (politely), `waitMs` at
 * most. Returns the versions applied.
 * A server older than PostgreSQL 13 is refused first, changing nothing (server-version.ts).
 * A schema a newer audiencectl migrated is refused, changing nothing: found up to date
 * (it holds every version this one knows), it was reported so, and after a rollback to an
 * older image its init step passed while every other command refused the schema.
 * `display` names the store in that refusal.
 */
export async function migrate(
  client: ClientBase,
  schema: string,
  display = schema,
  waitMs = LONG_QUERY_MS,
): Promise<number[]> {
  const applied: number[] = [];
  // Before anything is made: on a server older than 13 the migrations pass and every write fails.
  assertServerVersion(await serverVersion(client), display);
  // Under the lock too: two CREATE SCHEMA IF NOT EXISTS at once both insert the schema's
  // catalog row, and the second fails on its unique index when the first commits.
  await locked(client, schema, waitMs, async () => {
    // Only a schema not there is created: CREATE SCHEMA IF NOT EXISTS asks CREATE on the
    // database even of one that exists, and a schema an administrator made for the role
    // (the least privilege a DBA grants) was refused all the same.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await createSchema(client, schema, display);
    await client.query(
      sql(
        schema,
        `CREATE TABLE IF NOT EXISTS {s}.schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      ),
    );
    const found = await client.query<{ version: number | null }>(
      sql(schema, 'SELECT max(version) AS version FROM {s}.schema_migrations'),
    );
    const version = found.rows[0]?.version ?? 0;
    if (version > SCHEMA_VERSION)
      throw newerSchemaError(version, display, ': init never takes a schema back to an older version');
  });
  for (const migration of MIGRATIONS) {
    await politely(client, schema, display, migration, waitMs, async () => {
      const done = await client.query(sql(schema, 'SELECT 1 FROM {s}.schema_migrations WHERE version = $1'), [
        migration.version,
      ]);
      if (done.rowCount !== 0) return;
      await client.query(sql(schema, migration.sql));
      await client.query(sql(schema, 'INSERT INTO {s}.schema_migrations (version, name) VALUES ($1, $2)'), [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    });
  }
  return applied;
}

export { LOCK_CLASS };
