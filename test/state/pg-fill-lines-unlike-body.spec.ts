import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { PgStateStore } from '../../src/state/pg/pg-store.js';
import type { AudienceRecordInput } from '../../src/state/schema.js';
import { BENCH_RECORD } from '../helpers/record-arbitraries.js';
import { usePostgres } from './pg.js';

/**
 * init's line writing (src/state/pg/fill-lines.ts) gives a row without a line the record's JSON
 * as validated. A body zod takes whose validated JSON is not the body (a key a newer release's
 * record schema added, left out; a default filled where the body has none) gets no line: the
 * server drops a line unlike its body (migration 7's trigger). init must not count such a row
 * as given one, nor write it again at every init.
 */
const postgres = usePostgres();

const schemaOf = (location: string) => new URL(location).searchParams.get('schema')!;

async function initSaid(location: string): Promise<string[]> {
  const store = (await openStateStore(location)) as PgStateStore;
  try {
    return await store.init();
  } finally {
    await store.close();
  }
}

describe("init's line writing, of a body whose line the server would drop", () => {
  it('counts only the rows it gave a line, and says nothing more once those are written', async () => {
    const location = await postgres.freshLocation();
    const store = (await openStateStore(location)) as PgStateStore;
    try {
      await store.lock();
      for (const key of ['a', 'b', 'c', 'd'])
        await store.put({ ...BENCH_RECORD, sandbox: 'prod', key } as AudienceRecordInput);
    } finally {
      await store.close();
    }
    const table = `"${schemaOf(location)}".audiences`;
    // a: a key of a newer release's record schema (zod leaves it out); b: no runs (zod fills []);
    // c: a row written before migration 7, its line left out only.
    await postgres.query(`UPDATE ${table} SET body = body || '{"addedByANewerRelease": 1}' WHERE key = 'a'`);
    await postgres.query(`UPDATE ${table} SET body = body - 'runs' WHERE key = 'b'`);
    await postgres.query(`UPDATE ${table} SET line = NULL, line_schema = NULL WHERE key = 'c'`);
    const lined = async () =>
      (
        await postgres.query<{ key: string; lined: boolean }>(
          `SELECT key, line IS NOT NULL AS lined FROM ${table} ORDER BY key COLLATE "C"`,
        )
      ).map((row) => [row.key, row.lined]);
    expect(await lined()).toEqual([
      ['a', false],
      ['b', false],
      ['c', false],
      ['d', true],
    ]);
    expect(await initSaid(location)).toEqual([
      expect.stringMatching(/is up to date \(schema version \d+\)$/),
      expect.stringMatching(
        /: wrote the line of 1 record written before this release \(read as lines by a plan\)$/,
      ),
    ]);
    expect(await lined()).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
      ['d', true],
    ]);
    expect(await initSaid(location)).toEqual([
      expect.stringMatching(/is up to date \(schema version \d+\)$/),
    ]);
  });
});
