import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { AudienceRecord } from '../../src/state/schema.js';
import { scrubFailureReasons } from '../../src/state/scrub-record.js';
import { runs } from '../helpers/property-runs.js';
import { BENCH_RECORD, appliedRecord, fullRecord } from '../helpers/record-arbitraries.js';
import { usePostgres } from './pg.js';

/**
 * The PostgreSQL store's rows read as records. A row in the shapes audiencectl writes is
 * validated without zod (validate-record-fast.ts), as a record file is: whatever reads it
 * must get what zod's AudienceRecord gives of the row (scrubbed, as every read is), whichever
 * way it was read. The row's body is what jsonb keeps of the JSON written (keys reordered,
 * whitespace and numbers re-written), so this is the validator's property through the store.
 */
const postgres = usePostgres();

afterEach(() => {
  vi.restoreAllMocks();
});

/** Records the schema takes once written as JSON (a refused row's message is zod's, as before). */
function accepted(record: unknown): boolean {
  return AudienceRecord.safeParse(JSON.parse(JSON.stringify(record))).success;
}

/** Rows written as another writer (or psql) would: the body as JSON text, into jsonb. */
async function insertRows(location: string, bodies: readonly unknown[]): Promise<string[]> {
  const schema = new URL(location).searchParams.get('schema')!;
  const keys = bodies.map((_, i) => `k${String(i).padStart(4, '0')}`);
  for (const [i, body] of bodies.entries()) {
    await postgres.query(
      `INSERT INTO "${schema}".audiences (sandbox, key, body) VALUES ('prod', $1, $2::jsonb)`,
      [keys[i], JSON.stringify({ ...(body as object), sandbox: 'prod', key: keys[i] })],
    );
  }
  return keys;
}

/** zod's reading of what the server gives back for each row, by key: the expectation. */
async function zodReadings(location: string): Promise<Map<string, AudienceRecord>> {
  const schema = new URL(location).searchParams.get('schema')!;
  const rows = await postgres.query<{ key: string; body: string }>(
    `SELECT key, body::text AS body FROM "${schema}".audiences`,
  );
  return new Map(
    rows.map((row) => [row.key, scrubFailureReasons(AudienceRecord.parse(JSON.parse(row.body)))]),
  );
}

describe('a PostgreSQL store reading its rows', () => {
  it('gives for each row exactly what zod gives of it, for records of every shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fullRecord, appliedRecord).filter(accepted), { minLength: 1, maxLength: 8 }),
        async (bodies) => {
          const location = await postgres.freshLocation();
          await insertRows(location, bodies);
          const expected = await zodReadings(location);
          const store = await openStateStore(location);
          try {
            const { audiences } = await store.readAll();
            expect(audiences.map((record) => record.key)).toEqual([...expected.keys()].sort());
            for (const record of audiences) {
              expect(JSON.stringify(record)).toBe(JSON.stringify(expected.get(record.key)));
              expect(await store.get('prod', record.key)).toEqual(expected.get(record.key));
            }
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: runs(15) },
    );
  });

  it('asks zod of no row an apply writes (a plan of many records pays for none)', async () => {
    const location = await postgres.freshLocation();
    const keys = await insertRows(location, [
      BENCH_RECORD,
      ...fc.sample(appliedRecord, { numRuns: 5, seed: 7 }),
    ]);
    const store = await openStateStore(location);
    const zod = vi.spyOn(AudienceRecord, 'safeParse');
    try {
      const { audiences } = await store.readAll();
      expect(audiences.map((record) => record.key)).toEqual(keys);
      expect(zod).not.toHaveBeenCalled();
    } finally {
      await store.close();
    }
  });
});
