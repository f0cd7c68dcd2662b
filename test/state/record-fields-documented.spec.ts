import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AudienceRecord } from '../../src/state/schema.js';

/** The rows of docs/state.md's table of a record's fields ("| Field | Meaning |"), by their first cell. */
async function recordTable(): Promise<Map<string, string>> {
  const text = await readFile(new URL('../../docs/state.md', import.meta.url), 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('| Field | Meaning |');
  expect(start).toBeGreaterThan(0);
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [, first = '', ...rest] = line.split('|');
    rows.set(first.trim(), rest.join('|'));
  }
  return rows;
}

/** The object inside optional/default/catch wrappers, if `schema` is one. */
function objectOf(schema: z.ZodType): z.ZodObject | undefined {
  let inner: unknown = schema;
  for (let depth = 0; depth < 5; depth += 1) {
    if (inner instanceof z.ZodObject) return inner;
    const def = (inner as { def?: { innerType?: unknown } }).def;
    if (def?.innerType === undefined) return undefined;
    inner = def.innerType;
  }
  return undefined;
}

/**
 * review cli-41, finding 4: a person reading a record (`state show`, a file of the store) looks
 * up its fields in docs/state.md's table. A blocked record's `found` (the ids listed under the
 * refused name, which make the printed `state import` a finished one) was not in it, nor were
 * other fields of the record's schema. Every field of the schema, and every field of an object
 * field whose row gives its shape (`{ code, message, at, name }`), is named there.
 */
describe("docs/state.md's record table", () => {
  it('names every field of the record schema', async () => {
    const rows = await recordTable();
    const missing: string[] = [];
    for (const [name, schema] of Object.entries(AudienceRecord.shape)) {
      const row = [...rows.entries()].find(([cell]) => cell.includes(`\`${name}\``));
      if (row === undefined) {
        missing.push(name);
        continue;
      }
      const object = objectOf(schema as z.ZodType);
      // A row that gives an object field's shape (`{ code, message, at, name }`) gives all of it.
      const shape = /^\s*`\{([^}`]*)\}`/.exec(row[1])?.[1];
      if (object === undefined || shape === undefined) continue;
      const listed = shape.split(',').map((word) => word.trim().replace(/\?$/, ''));
      for (const inner of Object.keys(object.shape))
        if (!listed.includes(inner)) missing.push(`${name}.${inner}`);
    }
    expect(missing).toEqual([]);
  });
});
