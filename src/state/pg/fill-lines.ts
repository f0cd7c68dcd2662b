import { escapeIdentifier, type ClientBase } from 'pg';
import { RECORD_SCHEMA_ID } from '../record-schema-id.js';
import { sql } from './migrations.js';
import { recordLine } from './record-lines.js';

/** Rows given their line a statement: one round trip each, arrays the server unnests. */
const BATCH = 1_000;

/**
 * Writes the line (record-lines.ts) of every row that has none for this release's record schema:
 * rows written before migration 7, or by a release of another record schema, are read from their
 * body by every plan, and never left as lines, until something writes them again, which for an
 * audience nobody changes is never. `init` (the chart's init step on every upgrade) writes them.
 * A row whose body the fast validator does not take is left without (read, and refused, as before),
 * and so is one whose line is not its body (a key of a newer release's record schema, a default
 * the body leaves out): the server would drop that line, and init would write it at every run.
 * A line is written only where it is the row's body and the row still has none: a row an apply
 * wrote in between keeps the line it wrote (and the server drops any line unlike its body:
 * migration 7's trigger). The records are not changed, so the store's serial does not move.
 * Returns how many rows were given one.
 */
export async function fillLines(client: ClientBase, schema: string): Promise<number> {
  // A schema whose versions another made by hand, without the table, has no row to write.
  const table = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    `${escapeIdentifier(schema)}.audiences`,
  ]);
  if (!table.rows[0]?.exists) return 0;
  const { rows } = await client.query<{ sandbox: string; key: string; body: string }>(
    sql(
      schema,
      `SELECT sandbox, key, body::text AS body FROM {s}.audiences
        WHERE line IS NULL OR line_schema IS DISTINCT FROM $1`,
    ),
    [RECORD_SCHEMA_ID],
  );
  const lined = rows.flatMap((row) => {
    const line = recordLine(JSON.parse(row.body));
    return line === undefined ? [] : [{ sandbox: row.sandbox, key: row.key, line: line.line }];
  });
  let written = 0;
  for (let start = 0; start < lined.length; start += BATCH) {
    const batch = lined.slice(start, start + BATCH);
    const result = await client.query(
      sql(
        schema,
        `UPDATE {s}.audiences a SET line = v.line, line_schema = $4
           FROM unnest($1::text[], $2::text[], $3::text[]) v(sandbox, key, line)
          WHERE a.sandbox = v.sandbox AND a.key = v.key AND a.body = v.line::jsonb
            AND (a.line IS NULL OR a.line_schema IS DISTINCT FROM $4)`,
      ),
      [
        batch.map((row) => row.sandbox),
        batch.map((row) => row.key),
        batch.map((row) => row.line),
        RECORD_SCHEMA_ID,
      ],
    );
    written += result.rowCount ?? 0;
  }
  return written;
}
