import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { migrate } from '../../src/state/pg/migrations.js';
import type { PgStateStore } from '../../src/state/pg/pg-store.js';
import { AudienceRecord, type AudienceRecordInput } from '../../src/state/schema.js';
import { scrubFailureReasons } from '../../src/state/scrub-record.js';
import { runs } from '../helpers/property-runs.js';
import { BENCH_RECORD, appliedRecord, fullRecord } from '../helpers/record-arbitraries.js';
import { usePostgres } from './pg.js';

/**
 * A row's line (migration 7, src/state/pg/record-lines.ts): the record's JSON as validated,
 * written beside the jsonb body, read by a plan instead of the body made text, the rows in the
 * quiet shape left as lines (src/plan/quiet.ts). What a row reads as must not change: the
 * expectation is zod's reading of the body as the server gives it back, never the store's.
 */
const postgres = usePostgres();

const schemaOf = (location: string) => new URL(location).searchParams.get('schema')!;

/** zod's reading of each row's body (as the server gives it back), in the store's order. */
async function zodReadings(location: string): Promise<AudienceRecord[]> {
  const rows = await postgres.query<{ body: string }>(
    `SELECT body::text AS body FROM "${schemaOf(location)}".audiences ORDER BY sandbox COLLATE "C", key COLLATE "C"`,
  );
  return rows.map((row) => scrubFailureReasons(AudienceRecord.parse(JSON.parse(row.body))));
}

async function openPg(location: string): Promise<PgStateStore> {
  return (await openStateStore(location)) as PgStateStore;
}

/** Written through the store, under its lock, as an apply writes them. */
async function putAll(location: string, records: readonly unknown[]): Promise<void> {
  const store = await openPg(location);
  try {
    await store.lock();
    for (const record of records) await store.put(record as AudienceRecordInput);
  } finally {
    await store.close();
  }
}

/** Every record the quiet read gives, the quiet ones made objects, each in its place. */
function merged(read: Awaited<ReturnType<PgStateStore['readQuiet']>>): AudienceRecord[] {
  const all = [...read.state.audiences];
  const quiet = read.quiet ?? { records: [], at: [] };
  // Placed from the last, so that each place is counted among the records not quiet.
  for (let n = quiet.records.length - 1; n >= 0; n -= 1)
    all.splice(quiet.at[n]!, 0, quiet.records[n]!.record());
  return all;
}

const bench = (key: string, sandbox = 'prod') => ({ ...BENCH_RECORD, sandbox, key });

describe('a PostgreSQL store keeping its records as lines (migration 7)', () => {
  it('reads the rows it wrote as zod reads their bodies, the quiet ones left as lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fullRecord, appliedRecord), { minLength: 1, maxLength: 6 }),
        async (bodies) => {
          const records = bodies
            .map((body, i) => ({ ...(body as object), sandbox: 'prod', key: `k${i}` }))
            .filter((record) => AudienceRecord.safeParse(record).success);
          const location = await postgres.freshLocation();
          await putAll(location, [...records, bench('quiet-a'), bench('quiet-b', 'dev')]);
          const expected = await zodReadings(location);
          const store = await openPg(location);
          try {
            const read = await store.readQuiet();
            expect(read.quiet?.records.map((r) => r.key)).toEqual(
              expect.arrayContaining(['quiet-a', 'quiet-b']),
            );
            expect(JSON.stringify(merged(read))).toBe(JSON.stringify(expected));
            expect(JSON.stringify((await store.readAll()).audiences)).toBe(JSON.stringify(expected));
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: runs(10) },
    );
  });

  // The property above writes random records, few of them in the quiet shape but for one part:
  // a quiet head that let a run, an intent or anything after the runs through passed it.
  it('leaves as lines only the rows in the quiet shape: a record with anything more is read whole', async () => {
    const at = '2026-12-07T08:04:56.406Z';
    const intent = { id: 'i-1', kind: 'patch', startedAt: at };
    const more: Record<string, object> = {
      plain: {},
      run: { runs: [{ runId: 'r-1', status: 'FAILED', createdAt: 1_790_000_000, dataFilterStartTime: 0 }] },
      observed: { observed: { source: 'operation', at, body: { id: 'x' } } },
      'ingestion-request': { applied: { ...BENCH_RECORD.applied, ingestionRequest: 'token-1' } },
      revision: {
        applied: { ...BENCH_RECORD.applied, revision: { commit: 'a'.repeat(40), committedAt: at } },
      },
      intent: { intent },
      'unanswered-run': { unansweredRun: { ...intent, kind: 'run' } },
      'unanswered-delete': { unansweredDelete: { ...intent, kind: 'delete' } },
      'patch-refused': { patchRefused: { at, specHash: 'h', message: 'refused' } },
      'unknown-after-patch': { unknownAfterPatch: { at, paths: ['fields.email.labels'] } },
      'no-audience': { audienceId: undefined },
      'empty-audience-id': { audienceId: '' },
    };
    const records = Object.entries(more).map(([key, extra]) => ({ ...bench(key), ...extra }));
    for (const record of records) expect(AudienceRecord.safeParse(record).success, record.key).toBe(true);
    const location = await postgres.freshLocation();
    await putAll(location, records);
    // Each row has its line: what is left whole is so by its shape, not for want of a line.
    const lines = await postgres.query<{ key: string }>(
      `SELECT key FROM "${schemaOf(location)}".audiences WHERE line IS NOT NULL ORDER BY key COLLATE "C"`,
    );
    expect(lines.map((row) => row.key)).toEqual(Object.keys(more).sort());
    const store = await openPg(location);
    try {
      const read = await store.readQuiet();
      expect(read.quiet?.records.map((record) => record.key)).toEqual(['plain']);
      expect(JSON.stringify(merged(read))).toBe(JSON.stringify(await zodReadings(location)));
    } finally {
      await store.close();
    }
  });

  it('keeps the line of a record it writes, and of none a write leaves unlike its body', async () => {
    const location = await postgres.freshLocation();
    await putAll(location, [bench('a'), bench('b')]);
    const table = `"${schemaOf(location)}".audiences`;
    const lines = () =>
      postgres.query<{ key: string; line: string | null }>(`SELECT key, line FROM ${table} ORDER BY key`);
    expect((await lines()).map((row) => row.line !== null)).toEqual([true, true]);
    expect(JSON.parse((await lines())[0]!.line!)).toEqual(JSON.parse(JSON.stringify(bench('a'))));
    // Another record's line given with this body (as by hand): not kept.
    await postgres.query(
      `UPDATE ${table} SET line = (SELECT line FROM ${table} WHERE key = 'b') WHERE key = 'a'`,
    );
    // The body changed by hand, the line left as it was: not kept either.
    await postgres.query(
      `UPDATE ${table} SET body = jsonb_set(body, '{audienceId}', '"0b0e7f4e-0000-4000-8000-000000000000"') WHERE key = 'b'`,
    );
    expect(await lines()).toEqual([
      { key: 'a', line: null },
      { key: 'b', line: null },
    ]);
    const store = await openPg(location);
    try {
      const read = await store.readQuiet();
      expect(read.quiet).toBeUndefined();
      expect(read.state.audiences.map((r) => r.audienceId)).toEqual([
        BENCH_RECORD.audienceId,
        '0b0e7f4e-0000-4000-8000-000000000000',
      ]);
    } finally {
      await store.close();
    }
  });

  it('refuses a row whose body was made invalid by hand as it did before, its line gone', async () => {
    const location = await postgres.freshLocation();
    await putAll(location, [bench('a'), bench('b')]);
    const table = `"${schemaOf(location)}".audiences`;
    await postgres.query(
      `UPDATE ${table} SET body = jsonb_set(body, '{deletionPolicy}', '"Keep"') WHERE key = 'b'`,
    );
    // The same body in a store without lines: the words it was refused with before.
    const plain = await postgres.freshLocation();
    await postgres.query(
      `INSERT INTO "${schemaOf(plain)}".audiences (sandbox, key, body) SELECT sandbox, key, body FROM ${table}`,
    );
    await postgres.query(`UPDATE "${schemaOf(plain)}".audiences SET line = NULL, line_schema = NULL`);
    const refusal = async (at: string, read: (store: PgStateStore) => Promise<unknown>) => {
      const store = await openPg(at);
      try {
        return await read(store).then(
          () => 'read',
          (error: unknown) => (error as Error).message.replaceAll(schemaOf(at), 'SCHEMA'),
        );
      } finally {
        await store.close();
      }
    };
    const before = await refusal(plain, (store) => store.readAll());
    expect(before).toMatch(/row prod\/b of table/);
    expect(await refusal(location, (store) => store.readQuiet())).toBe(before);
    expect(await refusal(location, (store) => store.readAll())).toBe(before);
  });

  it('reads a row whose line is of another record schema from its body', async () => {
    const location = await postgres.freshLocation();
    await putAll(location, [bench('a')]);
    await postgres.query(`UPDATE "${schemaOf(location)}".audiences SET line_schema = 'an older release'`);
    const store = await openPg(location);
    try {
      const read = await store.readQuiet();
      expect(read.quiet).toBeUndefined();
      expect(read.state.audiences).toEqual(await zodReadings(location));
    } finally {
      await store.close();
    }
  });

  it('reads a row whose line was emptied by hand, its schema left, from its body', async () => {
    const location = await postgres.freshLocation();
    await putAll(location, [bench('a'), bench('b')]);
    await postgres.query(`UPDATE "${schemaOf(location)}".audiences SET line = NULL WHERE key = 'b'`);
    const store = await openPg(location);
    try {
      for (const read of [
        async () => (await store.readAll()).audiences,
        async () => merged(await store.readQuiet()),
      ]) {
        expect(JSON.stringify(await read())).toBe(JSON.stringify(await zodReadings(location)));
      }
      expect(await store.get('prod', 'b')).toEqual((await zodReadings(location))[1]);
    } finally {
      await store.close();
    }
  });

  it("gives init's rows without a line theirs: a store of the release before is left as lines", async () => {
    const location = await postgres.freshLocation();
    await putAll(location, [bench('a'), bench('b', 'dev'), bench('c'), bench('d')]);
    const schema = schemaOf(location);
    const table = `"${schema}".audiences`;
    // Rows written before migration 7 (no line), one of another release's record schema, and one
    // whose body was made invalid by hand (refused as before: no line written for it).
    await postgres.query(`UPDATE ${table} SET line = NULL, line_schema = NULL WHERE key IN ('a', 'b')`);
    await postgres.query(`UPDATE ${table} SET line_schema = 'an older release' WHERE key = 'c'`);
    await postgres.query(
      `UPDATE ${table} SET body = jsonb_set(body, '{deletionPolicy}', '"Keep"') WHERE key = 'd'`,
    );
    const linesOf = () =>
      postgres.query<{ key: string; line: string | null; line_schema: string | null }>(
        `SELECT key, line, line_schema FROM ${table} ORDER BY key COLLATE "C"`,
      );
    expect((await linesOf()).map((row) => row.line !== null)).toEqual([false, false, true, false]);
    const bodies = await zodReadings(location).catch(() => undefined);
    expect(bodies).toBeUndefined();
    const metaRow = `SELECT serial, nonce FROM "${schema}".meta`;
    const meta = await postgres.query(metaRow);
    const store = await openPg(location);
    let said: string[];
    try {
      said = await store.init();
    } finally {
      await store.close();
    }
    expect(said).toEqual([
      expect.stringMatching(/is up to date \(schema version \d+\)$/),
      expect.stringMatching(
        /: wrote the line of 3 records written before this release \(read as lines by a plan\)$/,
      ),
    ]);
    // The records are as they were: no write to tell the controllers of.
    expect(await postgres.query(metaRow)).toEqual(meta);
    const after = await linesOf();
    expect(after.map((row) => row.line !== null)).toEqual([true, true, true, false]);
    expect(new Set(after.filter((row) => row.line !== null).map((row) => row.line_schema)).size).toBe(1);
    // Each line the record's JSON in the schema's order, as a write of it would have written it.
    const fresh = await postgres.freshLocation();
    await putAll(fresh, [bench('a'), bench('b', 'dev'), bench('c')]);
    const written = await postgres.query<{ key: string; line: string }>(
      `SELECT key, line FROM "${schemaOf(fresh)}".audiences ORDER BY key COLLATE "C"`,
    );
    expect(after.slice(0, 3).map((row) => [row.key, row.line])).toEqual(
      written.map((row) => [row.key, row.line]),
    );
    // The quiet rows left as lines; the one refused still refused.
    await postgres.query(`DELETE FROM ${table} WHERE key = 'd'`);
    const again = await openPg(location);
    try {
      const read = await again.readQuiet();
      expect(read.quiet?.records.map((r) => r.key).sort()).toEqual(['a', 'b', 'c']);
      expect(JSON.stringify(merged(read))).toBe(JSON.stringify(await zodReadings(location)));
      // Nothing left to write: init says only that the store is up to date.
      expect(await again.init()).toEqual([expect.stringMatching(/is up to date \(schema version \d+\)$/)]);
    } finally {
      await again.close();
    }
  });

  it('takes a store of the release before through migration 7: its rows kept and read as before', async () => {
    const location = await postgres.freshLocation();
    await putAll(location, [bench('a'), bench('b', 'dev')]);
    const schema = schemaOf(location);
    // As the release before migration 7 left it: no lines, no trigger.
    await postgres.query(`
      DROP TRIGGER audiences_line ON "${schema}".audiences;
      DROP FUNCTION "${schema}".audiences_line();
      ALTER TABLE "${schema}".audiences DROP COLUMN line, DROP COLUMN line_schema;
      DELETE FROM "${schema}".schema_migrations WHERE version = 7;
    `);
    const before = await zodReadings(location);
    const admin = await postgres.query<{ version: number }>(
      `SELECT max(version) AS version FROM "${schema}".schema_migrations`,
    );
    expect(admin[0]?.version).toBe(6);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      expect(await migrate(client, schema)).toEqual([7]);
    } finally {
      await client.end();
    }
    expect(await zodReadings(location)).toEqual(before);
    const store = await openPg(location);
    try {
      const read = await store.readQuiet();
      expect(read.quiet).toBeUndefined();
      expect(read.state.audiences).toEqual(before);
    } finally {
      await store.close();
    }
    // Written again: its line with it, and left as a line.
    await putAll(location, [{ ...bench('a'), deletionPolicy: 'Orphan' }]);
    const again = await openPg(location);
    try {
      const read = await again.readQuiet();
      expect(read.quiet?.records.map((r) => [r.key, r.deletionPolicy])).toEqual([['a', 'Orphan']]);
      expect(merged(read)).toEqual(await zodReadings(location));
    } finally {
      await again.close();
    }
  });
});
