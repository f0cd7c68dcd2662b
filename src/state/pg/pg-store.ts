import { randomUUID } from 'node:crypto';
import { compatKey } from '../../aep/compat-choices.js';
import type { CompatChoices, LearnedChoice } from '../../aep/compat-schema.js';
import pg, { escapeIdentifier, type ClientConfig, type PoolClient } from 'pg';
import { StateError } from '../errors.js';
import type { LockInfo, LockOptions } from '../lock.js';
import {
  assertSameOrgs,
  orgsField,
  withBinding,
  withoutBinding,
  type OrgBindings,
  type OrgOf,
} from '../org-binding.js';
import { revisionsField, withRevision, type SandboxRevisions } from '../sandbox-revisions.js';
import { parseStateJson, recordRepairCommands } from '../read-json.js';
import { RECORD_FORMATS } from '../record-format.js';
import { assertValidId, recordId, type WriteIds } from '../record-id.js';
import type { ReadAllOptions, RecordVersions, VersionsAsked } from '../record-version.js';
import { scrubFailureReasons } from '../scrub-record.js';
import { validateRecordFast } from '../validate-record-fast.js';
import { StateMeta, AudienceRecord, type RecordedState, type SandboxMark } from '../schema.js';
import { WriteChains, type Mutation, type WriteDecision } from '../write-path.js';
import {
  LONG_QUERY_MS,
  POOL_SIZE,
  PgClient,
  clientConfig,
  timeoutsOf,
  socketsClosed,
  trackedClient,
  type PgAccess,
  type PgTimeouts,
} from './connection.js';
import { LOCK_CLASS, WRITE_CLASS, lockKeyOf } from './keys.js';
import {
  SELECT_COMPAT,
  UPSERT_COMPAT,
  compatFromRows,
  compatRowValues,
  type CompatRow,
} from './compat-rows.js';
import { SELECT_MANIFEST_CACHE, UPSERT_MANIFEST_CACHE } from './manifest-cache-rows.js';
import { fillLines } from './fill-lines.js';
import { ROW_TEXT, quietRowHead, recordLine } from './record-lines.js';
import { QuietRecord } from '../quiet-record.js';
import { metaFormat } from '../meta-format.js';
import { ownLimits } from './own-limits.js';
import { MIGRATIONS, assertCurrent, migrate, schemaVersion, sql } from './migrations.js';
import { isConnectionEnd, isTimeout, pgError } from './pg-errors.js';
import { listenForPushes, notifyPush } from './push-hints.js';
import { acquireSession, heldBy, type LockSession } from './session.js';
import { SpareLockClient } from './spare-lock-client.js';
import { connectStoppable } from './connect-stopped.js';
import { assertServerVersion, serverVersion } from './server-version.js';
import { RecordWrites, loadRecordValidation } from '../record-writes.js';
import { pgInitCommand, pgStoreFlags, type PasteFlags } from '../../text/paste-flags.js';
import { escapeText } from '../../text/safe-text.js';
import type { CompatStore, ManifestCacheMirror, PushListener, QuietReader, StateStore } from '../store.js';

/** How long a closing store waits for the server to let its sessions go (socketsClosed). */
const CLOSE_GRACE_MS = 2_000;

type Row = { sandbox: string; key: string; body: string };

/** The rows a plan of two kinds leaves as lines, and their places (read-snapshot.ts SnapshotRead.quiet). */
export type QuietRows = { records: QuietRecord[]; at: number[] };

/**
 * A row's version (record-version.ts): the transaction that wrote it and where it lies; an
 * UPDATE, by anyone, writes a new row version.
 */
const ROW_VERSION = (alias: string) => `${alias}.xmin::text || ' ' || ${alias}.ctid::text`;

/**
 * What to do about a meta row that fails its schema (its orgs or revisions written by hand):
 * the directory store's advice to remove meta.json has no equivalent that keeps the records.
 */
const META_ROW_HINT = 'restore it from a backup';

/**
 * The PostgreSQL store: one row per audience (the record as a jsonb body), lineage
 * and serial in `meta`, a session advisory lock as the single-writer guarantee. Every
 * write is one transaction that first checks, under a share lock on `lock_state`,
 * that this store's lock session still holds the lock with the same generation (so a
 * holder that lost its connection cannot write after another took over).
 */
export class PgStateStore
  extends RecordWrites
  implements StateStore, CompatStore, ManifestCacheMirror, QuietReader
{
  readonly location: string;
  readonly shared = true;
  readonly #schema: string;
  readonly #config: ClientConfig;
  readonly #timeouts: PgTimeouts;
  /** The `init` that creates or migrates this store, for the schema check's message. */
  readonly #init: string;
  /** The flags of the forget and import a corrupt row's message prints (pgStoreFlags). */
  readonly #repairFlags: PasteFlags;
  /** `--from` or `--to` (state migrate), prefixed to the schema's refusals; else undefined. */
  readonly #flag: string | undefined;
  #pool: pg.Pool | undefined;
  #checked: Promise<void> | undefined;
  #serverChecked: Promise<void> | undefined;
  #session: LockSession | undefined;
  /** The session of a try that found the lock held, kept for the next (a standby's, every second). */
  readonly #spare = new SpareLockClient();
  #lineage = '';
  #orgs: OrgBindings = {};
  #orgOf: OrgOf | undefined;
  #revision: SandboxMark | undefined;
  #bySandbox: SandboxRevisions | undefined;
  readonly #chains = new WriteChains();
  /** The pool's connections, open or opening: cut at once when the lock is lost (#abandon). */
  readonly #clients = new Set<pg.Client>();
  /** A lock's try was refused as read-only (STATE_READ_ONLY) since the pool last started. */
  #readOnlyMet = false;
  /** The lost lock, once this store gave up its connections: every later call fails with it. */
  #abandoned: StateError | undefined;

  constructor(url: string, schema: string, display: string, access: PgAccess = {}) {
    super(access.paste);
    this.location = display;
    this.#schema = schema;
    this.#config = clientConfig(url, access);
    this.#timeouts = timeoutsOf(access);
    const named = new URL(url);
    named.searchParams.set('schema', schema);
    this.#flag = access.flag;
    const typed = access.urlInherited === true ? undefined : named.href;
    this.#init = pgInitCommand(typed, access.paste, Boolean(access.passwordFile));
    this.#repairFlags = pgStoreFlags(typed, access.paste, Boolean(access.passwordFile));
  }

  /** A statement of init's migrations or of `state migrate`'s copy may take longer. */
  get #long(): PgTimeouts {
    return { ...this.#timeouts, queryMs: Math.max(this.#timeouts.queryMs, LONG_QUERY_MS) };
  }

  #error(error: unknown, timeouts = this.#timeouts) {
    return pgError(error, this.location, timeouts, this.#config.user, this.#flag);
  }

  get pool(): pg.Pool {
    if (!this.#pool) {
      this.#pool = new pg.Pool({
        ...this.#config,
        Client: trackedClient(this.#clients, () => this.#abandoned),
        max: POOL_SIZE,
        idleTimeoutMillis: 10_000,
      });
      // An idle connection the server closed: the pool drops it; the next query reconnects.
      this.#pool.on('error', () => undefined);
    }
    return this.#pool;
  }

  /** Other commands never migrate: they refuse a schema `init` has not brought up to date. */
  ready(): Promise<void> {
    this.#checked ??= (async () => {
      const client = await this.pool.connect();
      await usingClient(client, async () =>
        assertCurrent(await schemaVersion(client, this.#schema), this.location, this.#init, this.#flag),
      );
    })().catch((error: unknown) => {
      this.#checked = undefined;
      throw this.#error(error);
    });
    return this.#checked;
  }

  /**
   * Writers refuse a server older than 13 (a schema an earlier release's init migrated there):
   * every write of `meta` would fail in its trigger. Reads still work. Asked once per store.
   */
  #writableServer(): Promise<void> {
    this.#serverChecked ??= (async () => {
      assertServerVersion(await serverVersion(this.pool), this.location);
    })().catch((error: unknown) => {
      this.#serverChecked = undefined;
      throw this.#error(error);
    });
    return this.#serverChecked;
  }

  /**
   * The server (its start time, to the microsecond, and port), the database and the schema:
   * the same for `localhost` and `127.0.0.1`, or a host's two names. Needs no privilege.
   * `signal` ends a connect a silent server keeps waiting (STATE_CONNECT_STOPPED): it is the
   * first call `state migrate` makes, and its Ctrl-C was heard only after the connect timeout.
   */
  async identity(signal?: AbortSignal): Promise<string> {
    try {
      const answer = this.pool.query<{ id: string }>(
        "SELECT concat_ws(':', pg_postmaster_start_time()::text, current_setting('port'), current_database()) AS id",
      );
      await connectStoppable(answer, signal, this.location, () => {
        for (const client of this.#clients) client.connection.stream.destroy();
      });
      const { rows } = await answer;
      return `postgres:${rows[0]?.id ?? ''}:${this.#schema}`;
    } catch (error) {
      throw this.#error(error);
    }
  }

  async init(): Promise<string[]> {
    const long = this.#long;
    const client = new PgClient({ ...this.#config, query_timeout: long.queryMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const applied = await migrate(client, this.#schema, this.location, long.queryMs);
      this.#checked = undefined;
      // Read after: an init that waited on another's lock found the schema up to date then.
      const said =
        applied.length === 0
          ? [
              `PostgreSQL state ${this.location} is up to date (schema version ${await schemaVersion(client, this.#schema)})`,
            ]
          : applied.map((version) => {
              const name = MIGRATIONS.find((m) => m.version === version)?.name ?? '';
              return `PostgreSQL state ${this.location}: applied migration ${version} (${name})`;
            });
      const lined = await fillLines(client, this.#schema);
      if (lined > 0)
        said.push(
          `PostgreSQL state ${this.location}: wrote the line of ${lined} record${lined === 1 ? '' : 's'} written before this release (read as lines by a plan)`,
        );
      return said;
    } catch (error) {
      throw this.#error(error, long);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    this.#refuseAbandoned();
    await this.ready();
    this.#refuseAbandoned();
    try {
      return (await this.pool.query<R>(sql(this.#schema, text), values)).rows;
    } catch (error) {
      throw await this.#failure(error, this.#session);
    }
  }

  /**
   * A statement's failure as said, a read's as a write's. Its connection ended: the lock's
   * (`session`, while held) may have ended with it (every session of this process's
   * terminated, a server restart), its end not heard yet. The lock connection is asked before
   * the failure is said: a lock lost is said as such, as when its end is heard first; a lock
   * still held (or none) leaves the statement's own failure.
   */
  async #failure(
    error: unknown,
    session: LockSession | undefined,
    timeouts = this.#timeouts,
  ): Promise<Error> {
    if (session && !this.#abandoned && isConnectionEnd(error)) await session.verify();
    return this.#abandoned ?? this.#error(error, timeouts);
  }

  #refuseAbandoned(): void {
    if (this.#abandoned) throw this.#abandoned;
  }

  /**
   * The lock is lost (its connection failed, or its check went unanswered): every write
   * would be fenced anyway, and the server may be silent, so nothing is waited for. Every
   * connection is cut, without a goodbye: a statement in flight fails now (its intent stays
   * for the next apply; the server rolls back an open transaction when it sees the
   * connection end), none is sent after, and no socket keeps the process alive. Every later
   * call fails at once with the loss, as does a connection the pool would open.
   */
  #abandon(lost: StateError): void {
    this.#abandoned ??= lost;
    for (const client of this.#clients) client.connection.stream.destroy();
  }

  /**
   * A row read as a record. One that fails the record schema is named by its sandbox and key,
   * its table and this store (never a "state file": there is none), with the forget and import
   * that mend it, as a record file's are (recordRepairHint).
   */
  #parse(row: Row): AudienceRecord {
    // A row in the shapes audiencectl writes is validated without zod (the validator gives
    // zod's output); any other, and a body that is not JSON, is left to zod, which words it.
    const fast = validateRecordFast(jsonOrUndefined(row.body));
    if (fast) return scrubFailureReasons(fast);
    const where = {
      said: `row ${escapeText(`${row.sandbox}/${row.key}`)} of table ${this.#table('audiences')} in PostgreSQL state ${this.location}`,
    };
    const hint = recordRepairCommands(row.sandbox, row.key, this.#repairFlags);
    return scrubFailureReasons(parseStateJson(where, row.body, AudienceRecord, hint, RECORD_FORMATS));
  }

  /** A table of this store's schema, as SQL names it (`"s".audiences`), for messages. */
  #table(name: string): string {
    return escapeText(`${escapeIdentifier(this.#schema)}.${name}`);
  }

  /** With `versions`, each row's version too, in the same query (one snapshot). */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedState> {
    const { versions } = options;
    const { meta, present } = await this.#readRows(versions !== undefined);
    const audiences = present.map((row) => this.#parse(row));
    if (versions) for (const row of present) versions.set(recordId(row.sandbox, row.key), row.version!);
    return { meta, audiences };
  }

  /**
   * readAll for a plan of two kinds (src/plan/quiet.ts): a row whose line is in the quiet shape
   * (record-lines.ts) is left as it is, a QuietRecord made an object (as readAll makes it) only
   * if the plan needs it after all; `at` is the place in `audiences` each would have had.
   */
  async readQuiet(): Promise<{ state: RecordedState; quiet?: QuietRows }> {
    const { meta, present } = await this.#readRows(false);
    const decoder = { decode: (n: number) => this.#parse(present[n]!) };
    const audiences: AudienceRecord[] = [];
    const records: QuietRecord[] = [];
    const at: number[] = [];
    present.forEach((row, n) => {
      const head = quietRowHead(row.body);
      if (head === undefined) {
        audiences.push(this.#parse(row));
        return;
      }
      records.push(new QuietRecord(head, decoder, n, n, n));
      at.push(audiences.length);
    });
    const state = { meta, audiences };
    return records.length === 0 ? { state } : { state, quiet: { records, at } };
  }

  /** The meta and every row, as of one instant (one round trip, one snapshot). */
  async #readRows(
    versioned: boolean,
  ): Promise<{ meta: StateMeta | undefined; present: Array<Row & { version?: string }> }> {
    const rows = await this.#query<Row & { meta: string | null; version?: string }>(
      `SELECT m.meta, a.sandbox, a.key, ${ROW_TEXT('a')} AS body${versioned ? `, ${ROW_VERSION('a')} AS version` : ''}
         FROM (SELECT (SELECT json_strip_nulls(row_to_json(x))::text FROM (SELECT 1 AS "schemaVersion",
                 lineage, serial, nonce, NULLIF(orgs, '{}'::jsonb) AS orgs,
                 NULLIF(revisions, '{}'::jsonb) AS revisions FROM {s}.meta) x) AS meta) m
         LEFT JOIN {s}.audiences a ON true
        ORDER BY a.sandbox COLLATE "C", a.key COLLATE "C"`,
    );
    const metaText = rows[0]?.meta ?? null;
    const parsed =
      metaText === null
        ? undefined
        : parseStateJson(
            { said: `the row of table ${this.#table('meta')} in PostgreSQL state ${this.location}` },
            metaText,
            StateMeta,
            META_ROW_HINT,
          );
    // As a directory store's meta.json says it (meta-format.ts), so both read alike.
    const meta = parsed && { ...parsed, schemaVersion: metaFormat(parsed) };
    return { meta, present: rows.filter((row) => row.sandbox !== null) };
  }

  /** One query: the versions of the rows asked for, and of every row of the sandboxes asked for. */
  async recordVersions(asked: VersionsAsked): Promise<RecordVersions> {
    const rows = await this.#query<{ sandbox: string; key: string; version: string }>(
      `SELECT a.sandbox, a.key, ${ROW_VERSION('a')} AS version FROM {s}.audiences a
        WHERE (a.sandbox, a.key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           OR a.sandbox = ANY($3::text[])`,
      [asked.ids.map(([sandbox]) => sandbox), asked.ids.map(([, key]) => key), [...asked.sandboxes]],
    );
    return new Map(rows.map((row) => [recordId(row.sandbox, row.key), row.version]));
  }

  async get(sandbox: string, key: string): Promise<AudienceRecord | undefined> {
    assertValidId(sandbox, key);
    const rows = await this.#query<Row>(
      `SELECT sandbox, key, ${ROW_TEXT('a')} AS body FROM {s}.audiences a WHERE sandbox = $1 AND key = $2`,
      [sandbox, key],
    );
    return rows[0] ? this.#parse(rows[0]) : undefined;
  }

  async meta(): Promise<StateMeta | undefined> {
    const rows = await this.#query<{
      lineage: string;
      serial: string;
      nonce: string | null;
      orgs: Record<string, string>;
      revisions: SandboxRevisions;
    }>('SELECT lineage, serial::text AS serial, nonce, orgs, revisions FROM {s}.meta');
    const row = rows[0];
    if (!row) return undefined;
    const orgs = orgsField(row.orgs);
    return {
      schemaVersion: metaFormat(orgs),
      lineage: row.lineage,
      serial: Number(row.serial),
      ...(row.nonce === null ? {} : { nonce: row.nonce }),
      ...orgs,
      ...revisionsField(row.revisions),
    };
  }

  /** Never: a record and the serial change in one statement. */
  midWrite(): Promise<boolean> {
    return Promise.resolve(false);
  }

  async list(): Promise<Array<[sandbox: string, key: string]>> {
    const rows = await this.#query<{ sandbox: string; key: string }>(
      'SELECT sandbox, key FROM {s}.audiences ORDER BY sandbox COLLATE "C", key COLLATE "C"',
    );
    return rows.map((row) => [row.sandbox, row.key]);
  }

  async readCompat(baseUrl: string): Promise<CompatChoices> {
    return compatFromRows(await this.#query<CompatRow>(SELECT_COMPAT, [compatKey(baseUrl)]));
  }

  async rememberCompat(baseUrl: string, learned: LearnedChoice): Promise<void> {
    const values = compatRowValues(baseUrl, learned);
    if (values) await this.#query(UPSERT_COMPAT, values);
  }

  async readManifestCache(source: string): Promise<string | undefined> {
    return (await this.#query<{ document: string }>(SELECT_MANIFEST_CACHE, [source]))[0]?.document;
  }

  async writeManifestCache(source: string, document: string): Promise<void> {
    await this.#query(UPSERT_MANIFEST_CACHE, [source, document]);
  }

  get locked(): boolean {
    return this.#session !== undefined;
  }

  useOrgs(orgOf: OrgOf): void {
    this.#orgOf = orgOf;
  }

  useRevision(revision: SandboxMark | undefined, bySandbox?: SandboxRevisions): void {
    this.#revision = revision;
    this.#bySandbox = revision === undefined ? undefined : bySandbox;
  }

  async lock(options: LockOptions = {}): Promise<LockInfo> {
    if (this.#session)
      throw new Error(`state store ${this.location} is already locked by this process (bug)`);
    this.#refuseAbandoned();
    await loadRecordValidation();
    await connectStoppable(
      (async () => {
        await this.ready();
        await this.#writableServer();
      })(),
      options.signal,
      this.location,
      () => {
        for (const client of this.#clients) client.connection.stream.destroy();
      },
    );
    const session = await acquireSession(
      this.#config,
      this.#schema,
      this.location,
      options,
      this.#timeouts,
      this.#spare,
    ).catch((error: unknown) => {
      if (error instanceof StateError && error.code === 'STATE_READ_ONLY') this.#readOnlyMet = true;
      throw error;
    });
    if (this.#readOnlyMet) this.#dropReadOnlyConnections();
    // First of the loss's listeners: the connections are cut before anyone hears of it.
    session.onLost((lost) => this.#abandon(lost));
    try {
      const meta = await this.meta();
      if (this.#orgOf) assertSameOrgs(meta, this.#orgOf, this.location);
      this.#lineage = meta?.lineage ?? randomUUID();
      this.#orgs = meta?.orgs ?? {};
    } catch (error) {
      await session.release();
      // Lost before this store held the lock (its session ended as the meta was read): nothing
      // was written under it, so the loss ends this try only. Kept, it refused every later try at
      // once, and a replica cut while being elected stood by for ever, never elected again.
      if (session.lost) this.#abandoned = undefined;
      throw error;
    }
    this.#session = session;
    const { holder, endedWrites } = session;
    return endedWrites.length > 0 ? { holder, endedWrites } : { holder };
  }

  /**
   * The lock is taken now where a try was refused as read-only (a role or database whose
   * transactions defaulted to read-only, since turned off): the pool's connections opened before
   * keep the setting they started with, and a controller, elected once it was turned off, failed
   * its first steps' writes with 25006 on them. They are left to end; the next query opens anew.
   */
  #dropReadOnlyConnections(): void {
    this.#readOnlyMet = false;
    const stale = this.#pool;
    this.#pool = undefined;
    void stale?.end().catch(() => undefined);
  }

  async unlock(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    // A healthy apply's writes in flight land before the lock goes. Once the lock is lost
    // they fail at once (#abandon): nothing waits for a server that may be silent.
    await this.#chains.settled();
    this.#session = undefined;
    await session.release();
  }

  hintPush(): Promise<void> {
    return notifyPush(this.pool, this.#schema);
  }

  listenForPushes(
    onHint: () => void,
    onError: (error: unknown) => void,
    onListening: () => void,
  ): PushListener {
    return listenForPushes(this.#config, this.#schema, onHint, onError, onListening);
  }

  /** Called once if the lock connection fails while held (the controller steps down). */
  onLockLost(listener: (error: StateError) => void): void {
    this.#session?.onLost(listener);
  }

  async close(): Promise<void> {
    await this.unlock();
    await this.#spare.end();
    const pool = this.#pool;
    this.#pool = undefined;
    this.#checked = undefined;
    await pool?.end().catch(() => undefined);
    await socketsClosed(this.#clients, CLOSE_GRACE_MS);
  }

  protected override mutate(
    sandbox: string,
    key: string,
    decide: WriteDecision,
    ids: WriteIds = 'manifest',
  ): Promise<void> {
    // A stray id (deleteStray, once the store listed it) goes in as a query's value, never a
    // path: any id a row has can be removed (`team/bronze`), not only those a file could have.
    if (ids === 'manifest') assertValidId(sandbox, key);
    const session = this.#session;
    if (!session) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    return this.#chains.run(`${sandbox}/${key}`, () =>
      this.#transaction(session, { sandbox, key }, async (client, row) => {
        const mutation: Mutation = await decide({
          read: () => Promise.resolve(row ? this.#parse(row) : undefined),
          exists: () => Promise.resolve(row !== undefined),
        });
        if ('none' in mutation) return;
        // The first write to a sandbox binds it to the org of the calls; a binding already
        // recorded is never replaced.
        this.#orgs = withBinding(this.#orgs, sandbox, this.#orgOf);
        // Its own binding only: every binding this process knew, sent by a write that reached
        // the row just after a release (releaseOrg), put the forgotten one back.
        const own = this.#orgs[sandbox];
        const orgs = JSON.stringify(own === undefined ? {} : { [sandbox]: own });
        // An apply's commit marks this sandbox; the others keep theirs.
        const mark = JSON.stringify(withRevision({}, sandbox, this.#revision, this.#bySandbox));
        // The serial moves in the same statement as the record (and the mark), so never one
        // without the other.
        // A first write says its nonce; an update gets a fresh one from the server (migration 6).
        const bump = `WITH bump AS (INSERT INTO {s}.meta (lineage, serial, orgs, revisions, nonce)
                        VALUES ($3, 1, $4::jsonb, $5::jsonb, $6)
                        ON CONFLICT (singleton) DO UPDATE SET serial = {s}.meta.serial + 1,
                          orgs = excluded.orgs || {s}.meta.orgs,
                          revisions = {s}.meta.revisions || excluded.revisions RETURNING serial)`;
        if ('remove' in mutation) {
          await client.query(
            sql(
              this.#schema,
              `${bump} DELETE FROM {s}.audiences WHERE sandbox = $1 AND key = $2 AND EXISTS (SELECT 1 FROM bump)`,
            ),
            [sandbox, key, this.#lineage, orgs, mark, randomUUID()],
          );
          return;
        }
        // The record's line beside it (record-lines.ts), for the plans that read it.
        const line = recordLine(mutation.write);
        await client.query(
          sql(
            this.#schema,
            `${bump} INSERT INTO {s}.audiences (sandbox, key, body, line, line_schema)
             SELECT $1, $2, $7::jsonb, $8, $9 FROM bump
             ON CONFLICT (sandbox, key) DO UPDATE SET body = excluded.body, line = excluded.line,
               line_schema = excluded.line_schema, updated_at = now()`,
          ),
          [
            sandbox,
            key,
            this.#lineage,
            orgs,
            mark,
            randomUUID(),
            JSON.stringify(mutation.write),
            line?.line ?? null,
            line?.schema ?? null,
          ],
        );
      }),
    );
  }

  /**
   * Fenced: the meta row locked first, so that the check for records sees every write that
   * moved the serial before it (a record and its serial are one statement), and a write after
   * it binds the sandbox again in its own statement (`orgs = excluded.orgs || meta.orgs`).
   */
  async releaseOrg(sandbox: string, orgId: string): Promise<boolean> {
    const session = this.#session;
    if (!session) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    let released = false;
    await this.#transaction(session, undefined, async (client) => {
      await client.query(sql(this.#schema, 'SELECT 1 FROM {s}.meta FOR UPDATE'));
      const changed = await client.query(
        sql(
          this.#schema,
          `UPDATE {s}.meta SET orgs = orgs - $1::text, serial = serial + 1
           WHERE orgs ->> $1::text = $2 AND NOT EXISTS (SELECT 1 FROM {s}.audiences WHERE sandbox = $1)`,
        ),
        [sandbox, orgId],
      );
      released = changed.rowCount === 1;
    });
    if (released) this.#orgs = withoutBinding(this.#orgs, sandbox, orgId);
    return released;
  }

  /**
   * One statement, fenced, moving the serial with the marks when one changes; nothing written
   * when every mark is `revision` already (jsonb containment: each mark holds exactly its
   * commit and committedAt).
   */
  async markRevision(
    sandboxes: readonly string[],
    revision: SandboxMark,
    bySandbox?: SandboxRevisions,
  ): Promise<void> {
    const session = this.#session;
    if (!session) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    let marks: SandboxRevisions = {};
    for (const sandbox of sandboxes) marks = withRevision(marks, sandbox, revision, bySandbox);
    if (Object.keys(marks).length === 0) return;
    await this.#chains.settled();
    await this.#transaction(session, undefined, async (client) => {
      await client.query(
        sql(
          this.#schema,
          `INSERT INTO {s}.meta (lineage, serial, orgs, revisions, nonce) VALUES ($1, 1, '{}'::jsonb, $2::jsonb, $3)
           ON CONFLICT (singleton) DO UPDATE SET serial = {s}.meta.serial + 1,
             revisions = {s}.meta.revisions || excluded.revisions
           WHERE NOT ({s}.meta.revisions @> excluded.revisions)`,
        ),
        [this.#lineage, JSON.stringify(marks), randomUUID()],
      );
    });
  }

  /** Replaces everything with `snapshot`, lineage and serial included (`state migrate`). */
  async restore(snapshot: RecordedState, signal?: AbortSignal): Promise<void> {
    const session = this.#session;
    if (!session) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    await this.#chains.settled();
    const long = this.#long;
    // Emptying and filling a big store: each statement gets the longer budget.
    const statement = (text: string, values: unknown[] = []) =>
      timed(sql(this.#schema, text), values, long.queryMs);
    await this.#transaction(
      session,
      undefined,
      async (client) => {
        await client.query(statement(ownLimits(long.queryMs)));
        await client.query(statement('DELETE FROM {s}.audiences; DELETE FROM {s}.meta'));
        const BATCH = 1_000;
        for (let start = 0; start < snapshot.audiences.length; start += BATCH) {
          const batch = snapshot.audiences.slice(start, start + BATCH);
          const lines = batch.map((record) => recordLine(record));
          await client.query(
            statement(
              `INSERT INTO {s}.audiences (sandbox, key, body, line, line_schema)
               SELECT r->>'sandbox', r->>'key', r, l, ls
                 FROM ROWS FROM (jsonb_array_elements($1::jsonb), unnest($2::text[]), unnest($3::text[])) t(r, l, ls)`,
              [
                JSON.stringify(batch),
                lines.map((line) => line?.line ?? null),
                lines.map((line) => line?.schema ?? null),
              ],
            ),
          );
        }
        if (snapshot.meta) {
          await client.query(
            statement(
              // The snapshot's nonce, or none: the same content, under the same name.
              'INSERT INTO {s}.meta (lineage, serial, orgs, revisions, nonce) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)',
              [
                snapshot.meta.lineage,
                snapshot.meta.serial,
                JSON.stringify(snapshot.meta.orgs ?? {}),
                JSON.stringify(snapshot.meta.revisions ?? {}),
                snapshot.meta.nonce ?? null,
              ],
            ),
          );
        }
        // One transaction: interrupted, it is rolled back and the store left as it was.
        signal?.throwIfAborted();
      },
      long,
    );
    this.#lineage = snapshot.meta?.lineage ?? randomUUID();
    this.#orgs = snapshot.meta?.orgs ?? {};
  }

  /**
   * One write transaction, fenced: nothing is written unless our session still holds
   * the lock with our generation. The check, the read of the record it changes (locked
   * FOR UPDATE) and the mark a takeover knows our writes by (WRITE_CLASS, keys.ts) take one
   * round trip.
   */
  async #transaction(
    session: LockSession,
    target: { sandbox: string; key: string } | undefined,
    body: (client: PoolClient, row: Row | undefined) => Promise<void>,
    timeouts = this.#timeouts,
  ): Promise<void> {
    if (session.lost) throw session.lost;
    this.#refuseAbandoned();
    await this.ready();
    this.#refuseAbandoned();
    try {
      const client = await this.pool.connect();
      await usingClient(client, async () => {
        try {
          await this.#fencedWrite(client, session, target, body, timeouts.queryMs);
        } catch (error) {
          // A cut connection (#abandon) has nothing to roll back: the server does it.
          if (!isTimeout(error) && !this.#abandoned) await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      throw await this.#failure(error, session, timeouts);
    }
  }

  /** BEGIN, the fence check and the record's read, `body`, COMMIT: on the caller's client. */
  async #fencedWrite(
    client: PoolClient,
    session: LockSession,
    target: { sandbox: string; key: string } | undefined,
    body: (client: PoolClient, row: Row | undefined) => Promise<void>,
    queryMs: number,
  ): Promise<void> {
    await client.query(timed('BEGIN', [], queryMs));
    const checked = await client.query<{
      fenced: boolean;
      sandbox: string | null;
      key: string | null;
      body: string | null;
    }>(
      timed(
        sql(
          this.#schema,
          `WITH fence AS (
             SELECT generation FROM {s}.lock_state
              WHERE generation = $1::bigint AND backend_pid = $2 AND EXISTS (${heldBy('$2', '$3', '$4')})
              FOR SHARE),
           rec AS (SELECT sandbox, key, ${ROW_TEXT('a')} AS body FROM {s}.audiences a
                    WHERE sandbox = $5 AND key = $6 FOR UPDATE)
           SELECT EXISTS (SELECT 1 FROM fence) AS fenced, rec.*
             FROM (SELECT pg_advisory_xact_lock_shared($7::integer, $2::integer)) mark LEFT JOIN rec ON true`,
        ),
        [
          session.generation,
          session.backendPid,
          LOCK_CLASS,
          lockKeyOf(this.#schema),
          target?.sandbox ?? '',
          target?.key ?? '',
          WRITE_CLASS,
        ],
        queryMs,
      ),
    );
    const first = checked.rows[0];
    if (!first?.fenced) {
      throw new StateError(
        'STATE_LOCK_LOST',
        `lost the state lock of ${this.location}: its session ended or another audiencectl took it over. Stopping so that two appliers never write at once; run again once the other one is done.`,
      );
    }
    const row =
      first.sandbox !== null && first.key !== null && first.body !== null
        ? { sandbox: first.sandbox, key: first.key, body: first.body }
        : undefined;
    await body(client, row);
    await client.query(timed('COMMIT', [], queryMs));
  }
}

/**
 * Runs `use` on a checked-out client, then gives the client back (destroyed when `use`
 * failed). A checked-out client has no listener of the pool's: a session the server ends
 * mid-query emitted an unhandled 'error' and crashed the process. The failed query says
 * what happened, so the event itself is ignored.
 */
async function usingClient<T>(client: PoolClient, use: () => Promise<T>): Promise<T> {
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    const value = await use();
    client.removeListener('error', ignore);
    client.release();
    return value;
  } catch (error) {
    client.removeListener('error', ignore);
    client.release(true);
    throw error;
  }
}

/**
 * A statement with a client-side timeout of its own: node-postgres reads `query_timeout`
 * per query too (its types leave it out).
 */
function timed(text: string, values: unknown[], queryMs: number): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: queryMs };
  return config;
}

/** The row's JSON, or undefined for a body that is not JSON (zod's path then refuses it in words). */
function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
